-- Argo CD health of an Augur AutoScalePolicy (after lib.lua).
--
-- The policy controller writes Ready (False when the target cannot be acted on), ForecastUsed, and `blocked` with
-- the first reason anything was held back. Reasons are of three kinds:
--   - waiting for a usable forecast (none published yet, the model warming up, its accuracy not yet measured):
--     Progressing;
--   - a guardrail at work while the forecast is in use (cooldown, step limit, scale-down frozen by an anomaly or held
--     because the forecast shows the load returning, the floor followed in proportion while history is partial):
--     Healthy, with the reason in the message;
--   - anything else (a stale, short, malformed or inaccurate forecast, bounds that do not parse, a missing target,
--     a resize the API server refused): Degraded, since scaling has fallen back to the HPA alone until someone acts.
-- A reason this script does not know counts as Degraded: showing a new reason is safer than hiding it.

local WAITING = { NoForecast = true, ModelNotReady = true, AccuracyUnknown = true }
local GUARDRAIL = {
  Cooldown = true, StepLimit = true, AnomalyActive = true, LoadReturning = true, PartialHistory = true,
}

local pending = not_yet_observed("the controller", "being deleted: restoring the values the policy replaced")
if pending ~= nil then
  return pending
end

local ready = condition("Ready")
if ready == nil then
  return health("Progressing", "waiting for the controller")
end
if ready.status ~= "True" then
  return health("Degraded", explain(ready, "the policy cannot act on its target"))
end
if ready.reason == "Off" then
  return health("Suspended", explain(ready, "the policy is off"))
end

local reason, why = nil, nil
local blocked = obj.status.blocked
local used = condition("ForecastUsed")
if blocked ~= nil and blocked.reason ~= nil then
  reason, why = blocked.reason, explain(blocked, blocked.reason)
elseif used ~= nil and used.status == "False" then
  reason, why = used.reason or "", explain(used, "the forecast is not used")
end
if reason ~= nil and WAITING[reason] then
  return health("Progressing", "waiting for a usable forecast: " .. why)
end
if reason ~= nil and not GUARDRAIL[reason] then
  return health("Degraded", why)
end

local message = explain(ready, "ready")
local applied, recommended = obj.status.applied, obj.status.recommendation
if applied ~= nil and applied.minReplicas ~= nil then
  message = message .. "; floor " .. tostring(applied.minReplicas) .. " applied"
elseif recommended ~= nil and recommended.minReplicas ~= nil then
  message = message .. "; floor " .. tostring(recommended.minReplicas) .. " recommended"
end
if reason ~= nil then
  message = message .. "; " .. why
end
return health("Healthy", message)
