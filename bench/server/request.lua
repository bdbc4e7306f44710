-- wrk script of bench/server: one request shape from environment variables.
-- WRK_METHOD (GET), WRK_AUTH (a bearer key), WRK_BODY (JSON); WRK_UNIQUE: a placeholder in the
-- body replaced by a fresh value per request (metrics batch ids must be unique).
local method = os.getenv("WRK_METHOD") or "GET"
local auth = os.getenv("WRK_AUTH")
local body = os.getenv("WRK_BODY")
local unique = os.getenv("WRK_UNIQUE")
local run = os.getenv("WRK_RUN") or "run"
local headers = {}
if auth then headers["Authorization"] = "Bearer " .. auth end
if body then headers["Content-Type"] = "application/json" end
local fixed = nil
local counter = 0

-- Built on first use: wrk.path (the URL's path) is set only once the script has loaded.
request = function()
  if not unique then
    fixed = fixed or wrk.format(method, wrk.path, headers, body)
    return fixed
  end
  counter = counter + 1
  local b = string.gsub(body, unique, run .. "-" .. counter)
  return wrk.format(method, wrk.path, headers, b)
end
