-- The reference client: the real LuaSocket 3.1.0 on Lua 5.4, doing each workload the way
-- the TypeScript clients do it (see benchmarks/job.ts for the arguments and the report).
--
--   lua5.4 benchmarks/lua/client.lua <workload> <port> <count> <warmup> <seed>

local socket = require("socket")

local HOST = "127.0.0.1"
local TIMEOUT = 10
local CHUNK = 65536

local workload, port, count, warmup, seed = arg[1], tonumber(arg[2]), tonumber(arg[3]), tonumber(arg[4]), tonumber(arg[5])
local gettime = socket.gettime

-- A small JSON writer for the report (numbers, strings, booleans, arrays of numbers),
-- so that the only package needed is lua-socket.
local function encode(v)
  local t = type(v)
  if t == "number" then
    if math.type(v) == "integer" or v == math.floor(v) and math.abs(v) < 2 ^ 53 then return string.format("%d", v) end
    return string.format("%.17g", v)
  elseif t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(ch) return string.format("\\u%04x", ch:byte()) end) .. '"'
  elseif t == "boolean" then
    return tostring(v)
  elseif t == "table" then
    if #v > 0 then
      local parts = {}
      for i = 1, #v do parts[i] = string.format("%.3f", v[i]) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    local parts = {}
    for k, x in pairs(v) do parts[#parts + 1] = encode(tostring(k)) .. ":" .. encode(x) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return "null"
end

local function peak_rss_kib()
  local f = io.open("/proc/self/status", "r")
  if not f then return 0 end
  local status = f:read("a")
  f:close()
  return tonumber(status:match("VmHWM:%s+(%d+)%s+kB")) or 0
end

local function open(request)
  local c = assert(socket.connect(HOST, port))
  c:settimeout(TIMEOUT)
  c:setoption("tcp-nodelay", true)
  if request then assert(c:send(request)) end
  return c
end

local run = {}

function run.echo()
  local c = open("ECHO\n")
  for _ = 1, warmup do
    c:send("ping\n")
    local line, err = c:receive("*l")
    if line ~= "ping" then error("warm-up reply: " .. tostring(line or err)) end
  end
  local lat = {}
  local t0 = gettime()
  for i = 1, count do
    local s = gettime()
    c:send("ping\n")
    local line, err = c:receive("*l")
    if line ~= "ping" then error("reply " .. i .. ": " .. tostring(line or err)) end
    lat[i] = (gettime() - s) * 1e6
  end
  local seconds = gettime() - t0
  c:close()
  -- gettime() is gettimeofday(): whole microseconds (the harness interpolates within a tick).
  return { seconds = seconds, done = warmup + count, bytes = 4 * (warmup + count), latenciesUs = lat, clockTickUs = 1 }
end

function run.lines()
  local c = open(string.format("LINES %d %d\n", count, seed))
  local n, bytes, last = 0, 0, nil
  local t0 = gettime()
  while true do
    local line, err = c:receive("*l")
    if not line then
      if err ~= "closed" then error("receive: " .. err) end
      break
    end
    n = n + 1
    bytes = bytes + #line
    last = line
  end
  local seconds = gettime() - t0
  c:close()
  return { seconds = seconds, done = n, bytes = bytes, text = last }
end

function run.bulk()
  local c = open(string.format("BULK %d\n", count))
  local calls, bytes = 0, 0
  local t0 = gettime()
  while true do
    local data, err, partial = c:receive(CHUNK)
    if not data then
      if err ~= "closed" then error("receive: " .. err) end
      bytes = bytes + #partial
      break
    end
    calls = calls + 1
    bytes = bytes + #data
  end
  local seconds = gettime() - t0
  c:close()
  return { seconds = seconds, done = calls, bytes = bytes }
end

-- Streams of at most WHOLE_STREAM_BYTES each, as benchmarks/job.ts's wholeStreams.
local WHOLE_STREAM_BYTES = 512 * 1024 * 1024

function run.bulkall()
  local bytes, streams, left = 0, 0, count
  local t0 = gettime()
  while left > 0 do
    local c = open(string.format("BULK %d\n", math.min(left, WHOLE_STREAM_BYTES)))
    local data, err = c:receive("*a")
    if not data then error("receive: " .. err) end
    bytes, streams, left = bytes + #data, streams + 1, left - #data
    data = nil
    c:close()
  end
  local seconds = gettime() - t0
  return { seconds = seconds, done = streams, bytes = bytes }
end

function run.send()
  local c = open(string.format("SINK %d\n", count))
  local chunk = string.rep("x", CHUNK)
  local sent = 0
  local t0 = gettime()
  while sent < count do
    local piece = count - sent >= CHUNK and chunk or chunk:sub(1, count - sent)
    local n, err = c:send(piece)
    if not n then error("send: " .. err) end
    sent = sent + n
  end
  local ack, err = c:receive("*l")
  local seconds = gettime() - t0
  if not ack then error("ack: " .. err) end
  c:close()
  return { seconds = seconds, done = math.ceil(count / CHUNK), bytes = sent, text = ack }
end

function run.connect()
  local t0
  for i = 1, warmup + count do
    if i == warmup + 1 then t0 = gettime() end
    local c, err = socket.connect(HOST, port)
    if not c then error("connect " .. i .. ": " .. err) end
    c:close()
  end
  return { seconds = gettime() - t0, done = warmup + count, bytes = 0 }
end

function run.accept()
  local server = assert(socket.bind(HOST, 0))
  server:settimeout(TIMEOUT)
  local _, listening = server:getsockname()
  io.stdout:write(encode({ listening = tonumber(listening) }), "\n")
  io.stdout:flush()
  local t0
  for i = 1, warmup + count do
    if i == warmup + 1 then t0 = gettime() end
    local c, err = server:accept()
    if not c then error("accept " .. i .. ": " .. err) end
    c:close()
  end
  local seconds = gettime() - t0
  server:close()
  return { seconds = seconds, done = warmup + count, bytes = 0 }
end

-- Lua loads LuaSocket before any clock is available, so this times the connect alone.
function run.startup()
  local t0 = gettime()
  local c = assert(socket.connect(HOST, port))
  local seconds = gettime() - t0
  c:close()
  return { seconds = seconds, done = 1, bytes = 0 }
end

local DATAGRAM = string.rep("d", 32)
local WINDOW = 64

local function datagrams()
  local u = assert(socket.udp())
  u:settimeout(TIMEOUT)
  assert(u:setpeername(HOST, port))
  return u
end

function run.udpecho()
  local u = datagrams()
  for _ = 1, warmup do
    u:send(DATAGRAM)
    local d, err = u:receive()
    if d ~= DATAGRAM then error("warm-up reply: " .. tostring(d or err)) end
  end
  local lat = {}
  local t0 = gettime()
  for i = 1, count do
    local s = gettime()
    u:send(DATAGRAM)
    local d, err = u:receive()
    if d ~= DATAGRAM then error("reply " .. i .. ": " .. tostring(d or err)) end
    lat[i] = (gettime() - s) * 1e6
  end
  local seconds = gettime() - t0
  u:close()
  return { seconds = seconds, done = warmup + count, bytes = #DATAGRAM * (warmup + count), latenciesUs = lat, clockTickUs = 1 }
end

function run.udprate()
  local u = datagrams()
  local done = 0
  local t0 = gettime()
  while done < count do
    local burst = math.min(WINDOW, count - done)
    for _ = 1, burst do
      local n, err = u:send(DATAGRAM)
      if not n then error("send: " .. err) end
    end
    for i = 1, burst do
      local d, err = u:receive()
      if not d then error("receive after " .. (done + i - 1) .. ": " .. err) end
    end
    done = done + burst
  end
  local seconds = gettime() - t0
  u:close()
  return { seconds = seconds, done = done, bytes = #DATAGRAM * done }
end

-- W9: LuaSocket's own socket.http, one request (and connection) at a time. The body must
-- be the peer's (benchmarks/job.ts HTTP_BODY).
local HTTP_BODY = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqr"

function run.httpget()
  local http = require("socket.http")
  http.TIMEOUT = TIMEOUT
  local url = string.format("http://%s:%d/x", HOST, port)
  local function get(i)
    local body, code = http.request(url)
    if body ~= HTTP_BODY or code ~= 200 then error("request " .. i .. ": " .. tostring(code) .. " " .. tostring(body)) end
  end
  for i = 1, warmup do get(i) end
  local t0 = gettime()
  for i = 1, count do get(warmup + i) end
  local seconds = gettime() - t0
  return { seconds = seconds, done = warmup + count, bytes = #HTTP_BODY * (warmup + count) }
end

-- W10: LuaSec over LuaSocket, read with receive(65536) until the requested bytes are in.
local TLS_TAIL = 16

function run.tlsbulk()
  local ssl = require("ssl")
  local tcp = open(nil)
  local conn = assert(ssl.wrap(tcp, { mode = "client", protocol = "any", verify = "none" }))
  conn:settimeout(TIMEOUT)
  assert(conn:dohandshake())
  assert(conn:send(string.format("BULK %d\n", count)))
  local calls, bytes, last = 0, 0, ""
  local t0 = gettime()
  while bytes < count do
    local data, err = conn:receive(math.min(CHUNK, count - bytes))
    if not data then error("receive after " .. bytes .. " bytes: " .. err) end
    calls = calls + 1
    bytes = bytes + #data
    last = data
  end
  local seconds = gettime() - t0
  conn:close()
  return { seconds = seconds, done = calls, bytes = bytes, text = last:sub(-TLS_TAIL) }
end

-- Lua has one kind of string: W4b (a Buffer in JavaScript) is the same job here.
run.sendbuf = run.send

-- Seconds on a CPU, seconds waiting for one and times scheduled in, from /proc schedstat.
local function thread_time()
  local f = io.open("/proc/self/schedstat", "r")
  if not f then return 0, 0, 0 end
  local run, wait, slices = f:read("n", "n", "n")
  f:close()
  return (run or 0) / 1e9, (wait or 0) / 1e9, slices or 0
end

local run_before, wait_before, slices_before = thread_time()
local ok, report = pcall(function()
  local fn = run[workload]
  if not fn then error("unknown workload '" .. tostring(workload) .. "'") end
  return fn()
end)
if ok then
  report.ok = true
else
  report = { ok = false, error = tostring(report), seconds = 0, done = 0, bytes = 0 }
end
report.hwmKiB = peak_rss_kib()
local run_after, wait_after, slices_after = thread_time()
report.cpu = { main = { runS = run_after - run_before, waitS = wait_after - wait_before, slices = slices_after - slices_before } }
io.stdout:write(encode(report), "\n")
