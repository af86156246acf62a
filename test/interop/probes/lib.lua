-- Shared helpers of the probe scripts (test/interop/probes/*.lua).
--
--   lua5.4 test/interop/probes/NAME.lua        (from the repository root, or any directory)
--
-- Every probe prints one line per observation:
--   LABEL => n=K | v1 | v2 ...
-- where n is select('#', ...) of the call's results (the exact count, trailing nils
-- included) and each value is shown with its Lua type: 1.0 float, 1 int, "text" str,
-- nil, true/false bool, udp{connected} obj, {tbl} for tables. A raised error is shown as
--   LABEL => ERROR "message"
-- with the message verbatim (a Lua position prefix is kept: it tells where it came from).
-- Loopback and socket files in a fresh temp directory only.
local M = {}

M.socket = require("socket")
M.unix = require("socket.unix")

local function quote(s)
  if #s > 80 then
    return string.format("<str len=%d head=%q>", #s, s:sub(1, 16))
  end
  return (string.format("%q", s):gsub("\\\n", "\\n"))
end

-- One value with its type: the exact representation an implementer must reproduce.
function M.fmt(v)
  local t = type(v)
  if t == "nil" then return "nil" end
  if t == "boolean" then return tostring(v) end
  if t == "number" then return tostring(v) .. " " .. (math.type(v) == "integer" and "int" or "float") end
  if t == "string" then return quote(v) .. " str" end
  if t == "userdata" then
    local ok, cls = pcall(function() return v.class end)
    return (ok and cls or "userdata") .. " obj"
  end
  if t == "table" then
    local parts = {}
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do
      local x = v[k]
      local xs = (type(x) == "userdata") and M.fmt(x) or M.fmt(x)
      parts[#parts + 1] = tostring(k) .. "=" .. xs
    end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  return "<" .. t .. ">"
end

function M.show(label, ...)
  local n = select("#", ...)
  local out = {}
  for i = 1, n do out[i] = M.fmt((select(i, ...))) end
  print(string.format("%-44s => n=%d%s", label, n, n > 0 and (" | " .. table.concat(out, " | ")) or ""))
  return ...
end

-- Calls fn(...) under pcall and shows either its results or the raised error.
function M.try(label, fn, ...)
  local r = table.pack(pcall(fn, ...))
  if not r[1] then
    print(string.format("%-44s => ERROR %s", label, type(r[2]) == "string" and string.format("%q", r[2]) or tostring(r[2])))
    return nil
  end
  M.show(label, table.unpack(r, 2, r.n))
  return table.unpack(r, 2, r.n)
end

-- obj:name(...) compiled as a method call (so argument errors read "calling 'name' on
-- bad self" / "bad argument #1 to 'name'" exactly as in a program).
local methodcallers = {}
function M.m(label, obj, name, ...)
  local f = methodcallers[name]
  if not f then
    f = assert(load("local o = ...; return o:" .. name .. "(select(2, ...))", "=probe"))
    methodcallers[name] = f
  end
  return M.try(label, f, obj, ...)
end

function M.section(title)
  print("")
  print("## " .. title)
end

-- A fresh temp directory for socket files; removed by M.cleanup().
local tmpdir
function M.tmpdir()
  if not tmpdir then
    local p = io.popen("mktemp -d /tmp/lsprobe.XXXXXX")
    tmpdir = p:read("l")
    p:close()
  end
  return tmpdir
end

function M.cleanup()
  if tmpdir then os.execute("rm -rf '" .. tmpdir .. "'") end
end

-- Waits (bounded) until fd-less readiness: select on a single object for reading.
function M.readable(obj, t)
  local r = M.socket.select({ obj }, nil, t or 2)
  return r and r[1] == obj
end

-- A loopback UDP helper socket (the "other side"), bound to 127.0.0.1:ephemeral.
function M.udppeer(family)
  local s
  if family == "inet6" then
    s = assert(M.socket.udp6())
    assert(s:setsockname("::1", 0))
  else
    s = assert(M.socket.udp4())
    assert(s:setsockname("127.0.0.1", 0))
  end
  s:settimeout(2)
  local ip, port = s:getsockname()
  return s, ip, tonumber(port)
end

return M
