-- The Lua interpreter of the differential sequences: runs one sequence
-- (test/interop/differential/*.json) on the real LuaSocket and prints its record.
--
--   lua5.4 diff-runner.lua SEQUENCE.json CTLPORT PEERPORT
--
-- CTLPORT is the neutral peer's control port (neutral-peer.ts), PEERPORT its data port
-- (the variable "$peer"); the peer's other variables ($dir, $udppeer, $unixpeer, ...) are
-- asked from it first. diff.ts is the same interpreter for this package; the two
-- records are compared field by field by differential.test.ts. Output: one line
-- "result <json>". Steps are described in differential/README.md.
--
-- It ends by itself: control reads time out after 20 s, and the neutral peer closes every
-- connection when it stops (at the end of the sequence, or after 60 s).
local socket = require("socket")
local json = require("dkjson")
-- Sequences call socket.unix(), socket.unix.stream(), socket.unix.dgram().
socket.unix = require("socket.unix")
io.stdout:setvbuf("line")

local NULL = json.null
local path, ctlport, peerport = arg[1], tonumber(arg[2]), tonumber(arg[3])
assert(path and ctlport and peerport, "usage: diff-runner.lua SEQUENCE.json CTLPORT PEERPORT")

local f = assert(io.open(path, "rb"))
local seq = assert(json.decode(f:read("a"), 1, NULL))
f:close()

------------------------------------------------------------------- byte strings

local function checksum(s) -- FNV-1a over 32-bit LE words, as in lua.ts
  local h, pos = 0x811c9dc5, 1
  for _ = 1, #s // 4 do
    local v
    v, pos = string.unpack("<I4", s, pos)
    h = ((h ~ v) * 16777619) & 0xffffffff
  end
  for i = pos, #s do
    h = ((h ~ s:byte(i)) * 16777619) & 0xffffffff
  end
  return string.format("%08x", h)
end

local function is_data(v)
  return type(v) == "table" and (v.hex ~= nil or v.rep ~= nil or v.bytes ~= nil or v.cat ~= nil)
end

local function bytes(v)
  if type(v) == "string" then return v end
  if v.hex then
    return (v.hex:gsub("..", function(h) return string.char(tonumber(h, 16)) end))
  elseif v.rep then
    return string.rep(bytes(v.rep), v.n)
  elseif v.bytes then
    local t = {}
    for i = v.bytes[1], v.bytes[2] do t[#t + 1] = string.char(i) end
    return table.concat(t)
  else
    local t = {}
    for i, p in ipairs(v.cat) do t[i] = bytes(p) end
    return table.concat(t)
  end
end

local function encode_bytes(s)
  if #s > 512 then return { len = #s, sum = checksum(s) } end
  if s:find("[^\t\n\r\32-\126]") then
    return { hex = (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) }
  end
  return s
end

------------------------------------------------------------------- variables

local vars = { peer = peerport }
local names = {} -- object -> variable name

-- {"path": NAME} is NAME in the peer's temp directory; with "len": N, NAME is padded
-- with "x" so that the whole path is exactly N bytes.
local function socket_path(v)
  local p = vars.dir .. "/" .. v.path
  if v.len then p = p .. string.rep("x", v.len - #p) end
  return p
end

local function resolve(v)
  if v == NULL then return nil end
  if type(v) == "string" and v:sub(1, 1) == "$" then
    local x = vars[v:sub(2)]
    assert(x ~= nil, "unknown variable " .. v)
    if x == NULL then return nil end
    return x
  end
  if type(v) == "table" then
    if is_data(v) then return bytes(v) end
    if type(v.path) == "string" then return socket_path(v) end
    local out = {}
    for k, x in pairs(v) do out[k] = resolve(x) end
    return out
  end
  return v
end

-- A value as it appears in the record.
local function record_value(v)
  if v == nil then return NULL end
  local tv = type(v)
  if tv == "string" then return encode_bytes(v) end
  if tv == "number" or tv == "boolean" then return v end
  if tv == "userdata" then return { obj = v.class, var = names[v] or NULL } end
  if tv == "table" then
    if v[1] ~= nil or next(v) == nil then
      local a = setmetatable({}, { __jsontype = "array" })
      for i = 1, #v do a[i] = record_value(v[i]) end
      return a
    end
    local o = setmetatable({}, { __jsontype = "object" })
    for k, x in pairs(v) do
      if type(k) == "string" then o[k] = record_value(x) end
    end
    return o
  end
  return "<" .. tv .. ">"
end

------------------------------------------------------------------- calls

-- Methods are called with colon syntax from a chunk, so argument errors are numbered
-- and named as in a program (bad argument #1 to 'receive'); the chunk's position prefix
-- ("call:1: ") is removed from messages.
local callers = {}
local function caller(step)
  local key = (step.on and ":" or ".") .. step.call
  local fn = callers[key]
  if not fn then
    local src
    if step.call == "tostring" then
      src = "local o = ...; return tostring(o)"
    elseif step.on then
      src = "local o = ...; return o:" .. step.call .. "(select(2, ...))"
    else
      src = "return " .. step.call .. "(...)"
    end
    fn = assert(load(src, "=call", "t", { socket = socket, select = select, tostring = tostring }))
    callers[key] = fn
  end
  return fn
end

local function message(e)
  if type(e) ~= "string" then return "<" .. type(e) .. " error>" end
  return (e:gsub("^[^%s:]+:%d+: ", ""))
end

local function store(as, values, n)
  if type(as) == "string" then as = { as } end
  for i, name in ipairs(as) do
    local v = values[i]
    if i > n or v == nil then v = NULL end
    vars[name] = v
    if type(v) == "userdata" then names[v] = name end
  end
end

local function run_call(step)
  local args = step.args or {}
  local n = #args
  local a = {}
  for i = 1, n do a[i] = resolve(args[i]) end
  local fn = caller(step)
  local r, t0, t1
  if step.on then
    local obj = vars[step.on]
    assert(obj ~= nil, "unknown object $" .. step.on)
    t0 = socket.gettime()
    r = table.pack(pcall(fn, obj, table.unpack(a, 1, n)))
    t1 = socket.gettime()
  else
    t0 = socket.gettime()
    r = table.pack(pcall(fn, table.unpack(a, 1, n)))
    t1 = socket.gettime()
  end
  local rec = { t = t1 - t0 }
  if not r[1] then
    rec.error = message(r[2])
    return rec
  end
  local values = table.move(r, 2, r.n, 1, {})
  local count = r.n - 1
  if step.as then store(step.as, values, count) end
  while count > 0 and values[count] == nil do count = count - 1 end
  local ret = setmetatable({}, { __jsontype = "array" })
  for i = 1, count do ret[i] = record_value(values[i]) end
  rec.ret = ret
  return rec
end

------------------------------------------------------------------- peer

local ctl = assert(socket.connect("127.0.0.1", ctlport))
ctl:settimeout(20)

local function substitute(v)
  if type(v) == "string" and v:sub(1, 1) == "$" then
    local x = vars[v:sub(2)]
    assert(x ~= nil and type(x) ~= "userdata", "bad peer variable " .. v)
    return x
  end
  if type(v) == "table" and v ~= NULL then
    if type(v.path) == "string" and v.peer == nil then return socket_path(v) end
    local out = setmetatable({}, getmetatable(v))
    for k, x in pairs(v) do out[k] = substitute(x) end
    return out
  end
  return v
end

local function peer(cmd)
  local ok, err = ctl:send(json.encode(substitute(cmd)) .. "\n")
  assert(ok, "peer control: " .. tostring(err))
  local line, rerr = ctl:receive()
  assert(line, "peer control: " .. tostring(rerr))
  return json.decode(line, 1, NULL)
end

------------------------------------------------------------------- main

local peervars = peer({ peer = "vars" })
for k, v in pairs(peervars) do
  if k ~= "ok" then vars[k] = v end
end
peervars.ok = nil

local records = {}
for i, step in ipairs(seq.steps) do
  local rec
  if step.peer then
    rec = { peer = peer(step) }
  elseif step.get then
    local obj = vars[step.on]
    rec = { ret = setmetatable({ record_value(obj[step.get]) }, { __jsontype = "array" }) }
  else
    rec = run_call(step)
  end
  rec.i = i
  records[i] = rec
end
peer({ peer = "stop" })
ctl:close()
print("result " .. json.encode({ peerPort = peerport, vars = peervars, records = records }))
os.exit(0)
