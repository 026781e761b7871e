-- Helpers shared by the Augur health checks; the chart puts this file before each kind's script, since Argo CD
-- runs every script on its own (no `require` of files).
--
-- Argo CD runs scripts from argocd-cm in gopher-lua (Lua 5.1) with only the base, table and package libraries, so
-- these scripts use no `string` or `math` function and no string methods.

local function health(status, message)
  return { status = status, message = message }
end

-- The status condition of type `kind`, if there is one.
local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

-- "Reason: message" of a condition (or of a status entry with the same two fields), or whichever of the two is there.
local function explain(c, fallback)
  if c == nil then
    return fallback
  end
  local reason, message = c.reason or "", c.message or ""
  if reason ~= "" and message ~= "" then
    return reason .. ": " .. message
  end
  if reason .. message == "" then
    return fallback
  end
  return reason .. message
end

-- Progressing while the object is being deleted, or while its status still describes an older generation of the
-- spec (`actor` has not reconciled this one yet); nil otherwise.
local function not_yet_observed(actor, deleting)
  if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
    return health("Progressing", deleting)
  end
  local generation = obj.metadata and obj.metadata.generation
  local observed = obj.status and obj.status.observedGeneration
  if observed == nil or (generation ~= nil and observed < generation) then
    return health("Progressing", "waiting for " .. actor .. " to reconcile generation " .. tostring(generation or 1))
  end
  return nil
end
