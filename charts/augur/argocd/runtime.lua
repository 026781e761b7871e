-- Argo CD health of an Augur AnomalyDetector, Forecaster or LogClusterer (after lib.lua).
--
-- It reads what the status already says and decides nothing itself: the operator writes Ready, Progressing and
-- Degraded (with a Deployment's meanings, and the problems runtime pods report folded into Degraded); the runtime
-- pods write ModelReady (warm-up progress, with an ETA, in its message). A fault outranks a rollout, and a rollout
-- outranks a warm-up.

local pending = not_yet_observed("the operator", "being deleted")
if pending ~= nil then
  return pending
end

local ready = condition("Ready")
local degraded = condition("Degraded")
local progressing = condition("Progressing")
local model = condition("ModelReady")

if ready ~= nil and ready.status == "False" and ready.reason == "InvalidSpec" then
  return health("Degraded", explain(ready, "the spec is invalid"))
end
if degraded ~= nil and degraded.status == "True" then
  return health("Degraded", explain(degraded, "degraded"))
end
if ready ~= nil and ready.reason == "Paused" then
  return health("Suspended", explain(ready, "paused"))
end
if progressing ~= nil and progressing.status == "True" then
  return health("Progressing", explain(progressing, "rolling out"))
end
if ready == nil or ready.status ~= "True" then
  return health("Progressing", explain(ready, "waiting for the runtime pods"))
end
-- Without status publication (spec.output.status: false) there is no ModelReady: ready pods are all there is to know.
if model ~= nil and model.status == "False" then
  return health("Progressing", "warming up: " .. (model.message or "the models are gathering history"))
end
if model ~= nil and model.message ~= nil and model.message ~= "" then
  return health("Healthy", model.message)
end
return health("Healthy", explain(ready, "running"))
