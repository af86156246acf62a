-- The real LuaSocket as a peer of this package (driven by interop.test.ts).
--
--   lua5.4 lua-peer.lua server SCENARIO        binds 127.0.0.1:0, prints "port N", accepts
--   lua5.4 lua-peer.lua client SCENARIO PORT   connects to 127.0.0.1:PORT
--
-- Each scenario is the Lua half of an exchange whose other half is written in TypeScript
-- in interop.test.ts; the Lua half is the same whichever side connected. The script checks
-- what it receives itself, prints one line "result <json>" and exits 0, or prints the
-- problem on stderr and exits 1. Every socket call has a timeout, so it always ends.
local socket = require("socket")
local json = require("dkjson")
io.stdout:setvbuf("line")

local role, scenario, port = arg[1], arg[2], tonumber(arg[3])
local TIMEOUT = 15
local result = { scenario = scenario, role = role }

local function fail(fmt, ...)
  io.stderr:write("lua-peer ", tostring(scenario), " (", tostring(role), "): ", string.format(fmt, ...), "\n")
  os.exit(1)
end

local function check(cond, fmt, ...)
  if not cond then fail(fmt, ...) end
end

local function show(s)
  if s == nil then return "nil" end
  if #s > 60 then return string.format("<%d bytes>", #s) end
  return string.format("%q", s)
end

-- Expects `got` to equal `want` (strings), naming `what` on failure.
local function same(got, want, what)
  check(got == want, "%s: got %s, want %s", what, show(got), show(want))
end

------------------------------------------------------------------- stream generator

-- Identical to generate()/checksum() in lua.ts: 64 KiB xorshift32 blocks, each starting
-- with its index (u32 little-endian); FNV-1a over 32-bit little-endian words.
local BLOCK = 65536
local base_block

local function base()
  if base_block then return base_block end
  local t, x = {}, 0x12345678
  for i = 1, BLOCK do
    x = x ~ ((x << 13) & 0xffffffff)
    x = x ~ (x >> 17)
    x = x ~ ((x << 5) & 0xffffffff)
    t[i] = string.char(x & 0xff)
  end
  base_block = table.concat(t)
  return base_block
end

local function generate(length)
  local b, parts, off, k = base():sub(5), {}, 0, 0
  while off < length do
    local n = math.min(BLOCK, length - off)
    parts[#parts + 1] = (string.pack("<I4", k) .. b):sub(1, n)
    off, k = off + n, k + 1
  end
  return table.concat(parts)
end

local function checksum(s)
  local h, pos, per = 0x811c9dc5, 1, 2048
  local words = #s // 4
  local fmt = "<" .. string.rep("I4", per)
  local w = 0
  while w + per <= words do
    local t = { string.unpack(fmt, s, pos) }
    for i = 1, per do
      h = ((h ~ t[i]) * 16777619) & 0xffffffff
    end
    pos, w = pos + per * 4, w + per
  end
  while w < words do
    local v
    v, pos = string.unpack("<I4", s, pos)
    h = ((h ~ v) * 16777619) & 0xffffffff
    w = w + 1
  end
  for i = pos, #s do
    h = ((h ~ s:byte(i)) * 16777619) & 0xffffffff
  end
  return string.format("%08x", h)
end

local function all_bytes(times)
  local t = {}
  for k = 0, times - 1 do
    for i = 0, 255 do
      t[#t + 1] = string.char(k % 2 == 0 and i or 255 - i)
    end
  end
  return table.concat(t)
end

------------------------------------------------------------------- helpers

local function send_all(c, data, what)
  local last, err, idx = c:send(data)
  check(last == #data, "%s: send returned %s, %s, %s", what, tostring(last), tostring(err), tostring(idx))
end

local function recv(c, pattern, what, prefix)
  local data, err, partial = c:receive(pattern, prefix)
  check(data ~= nil, "%s: receive(%s) failed: %s (partial %s)", what, tostring(pattern), tostring(err), show(partial))
  return data
end

local function expect_line(c, want, what)
  same(recv(c, "*l", what), want, what)
end

local function index_of(list, v)
  for i, x in ipairs(list) do
    if x == v then return i end
  end
end

------------------------------------------------------------------- scenarios

local scenarios = {}
local NCONN = { lines = 1, binary = 1, bulk = 1, all = 1, partial = 1, sendidx = 2, shutdown = 2, select = 3 }

-- Lines with LF and CRLF ends, empty lines, CR inside a line, a long line; both ways.
function scenarios.lines(conns)
  local c = conns[1]
  local long = string.rep("L", 100000)
  local huge = string.rep("0123456789", 300000)
  local out = { "alpha\n", "beta\r\n", "\n", "\r\n", "tab\tand spaces  \n", "cr\rinside\r\n", long .. "\r\n", huge .. "\n", "last\n" }
  for i, l in ipairs(out) do
    send_all(c, l, "line " .. i)
  end
  local long2 = string.rep("M", 70000)
  local want = { "one", "two", "", "xy", long2, string.rep("9876543210", 300000), "end" }
  for i, w in ipairs(want) do
    expect_line(c, w, "incoming line " .. i)
  end
  result.lines = #want
end

-- Every byte value, as counted reads and as a line; both ways.
function scenarios.binary(conns)
  local c = conns[1]
  local block = all_bytes(64)
  send_all(c, block, "all bytes x64")
  same(recv(c, #block, "echo of all bytes"), block, "echo of all bytes")
  local noLF = all_bytes(1):gsub("\n", "")
  send_all(c, noLF .. "\n", "binary line")
  local reversed = all_bytes(2):sub(257)
  same(recv(c, 256, "reversed bytes"), reversed, "reversed bytes")
  local line = recv(c, "*l", "binary line back")
  same(line, (noLF:gsub("\r", "")), "binary line back (CR removed)")
  result.bytes = #block
end

-- Tens of MiB each way, checked with the shared checksum on both sides.
function scenarios.bulk(conns)
  local c = conns[1]
  local size = 32 * 1048576 + 12
  local out = generate(size)
  local sum = checksum(out)
  send_all(c, out, "bulk out")
  out = nil
  expect_line(c, string.format("hash %d %s", size, sum), "hash of what the other side received")
  local got = recv(c, size, "bulk in")
  same(#got .. "", size .. "", "bulk in length")
  local gotsum = checksum(got)
  same(gotsum, checksum(generate(size)), "bulk in checksum")
  send_all(c, string.format("hash %d %s\n", #got, gotsum), "hash line")
  result.sent, result.received, result.checksum = size, #got, gotsum
  -- Again, read by the other side in small pieces.
  local again = generate(16 * 1048576)
  send_all(c, again, "bulk out, read in pieces")
  expect_line(c, string.format("hash %d %s", #again, checksum(again)), "hash of what was read in pieces")
end

-- '*a' until the peer closes, both ways (one side half-closes, the other closes).
function scenarios.all(conns)
  local c = conns[1]
  local out = generate(5 * 1048576)
  send_all(c, out, "stream out")
  check(c:shutdown("send") == 1, "shutdown('send')")
  local got = recv(c, "*a", "'*a' in")
  local want = generate(3 * 1048576 + 1)
  same(#got .. "", #want .. "", "'*a' length")
  same(checksum(got), checksum(want), "'*a' checksum")
  local d, err, partial = c:receive("*a")
  check(d == nil and err == "closed" and partial == "", "second '*a': %s %s %s", tostring(d), tostring(err), show(partial))
  result.received, result.checksum = #got, checksum(got)
end

-- Pieces read with timeout 0, each partial passed back as prefix; then the other way.
local LINE_PIECES = { "ab", "cd\r", "ef", "gh\n" }
local COUNT_PIECES = { "12345", "67890", "abcde" }

local function readPieces(c, pieces, pattern, final)
  local acc, sofar, timeouts = "", "", 0
  c:settimeout(0)
  for k, piece in ipairs(pieces) do
    sofar = sofar .. piece
    local want = (pattern == "*l") and sofar:gsub("[\r\n]", "") or sofar
    while true do
      local r, _, serr = socket.select({ c }, nil, TIMEOUT)
      check(serr == nil, "select while waiting for piece %d: %s", k, tostring(serr))
      local data, err, partial = c:receive(pattern, acc)
      if data then
        check(k == #pieces, "complete after piece %d of %d", k, #pieces)
        same(data, final, "resumed result")
        break
      end
      check(err == "timeout", "piece %d: error %s", k, tostring(err))
      timeouts = timeouts + 1
      acc = partial
      if acc == want then break end
    end
    c:settimeout(TIMEOUT)
    if k < #pieces then send_all(c, "next\n", "next") end
    c:settimeout(0)
  end
  c:settimeout(TIMEOUT)
  return timeouts
end

function scenarios.partial(conns)
  local c = conns[1]
  for k, piece in ipairs(LINE_PIECES) do
    send_all(c, piece, "line piece " .. k)
    if k < #LINE_PIECES then expect_line(c, "next", "next after line piece " .. k) end
  end
  for k, piece in ipairs(COUNT_PIECES) do
    send_all(c, piece, "count piece " .. k)
    if k < #COUNT_PIECES then expect_line(c, "next", "next after count piece " .. k) end
  end
  result.lineTimeouts = readPieces(c, LINE_PIECES, "*l", "abcdefgh")
  result.countTimeouts = readPieces(c, COUNT_PIECES, 15, "1234567890abcde")
  check(result.lineTimeouts >= #LINE_PIECES - 1, "line timeouts %d", result.lineTimeouts)
  check(result.countTimeouts >= #COUNT_PIECES - 1, "count timeouts %d", result.countTimeouts)
end

-- A send with timeout 0 resumed from the returned index until everything went out.
function scenarios.sendidx(conns)
  local data, ctl = conns[1], conns[2]
  local size = 16 * 1048576
  -- The other side sends first; we read only after its first timeout ("go").
  expect_line(ctl, "go", "go")
  local got = recv(data, size, "data in")
  send_all(ctl, string.format("hash %d %s\n", #got, checksum(got)), "hash line")
  same(checksum(got), checksum(generate(size)), "data in checksum")
  -- Our turn: timeout 0, resume at last + 1.
  local out = generate(size)
  data:settimeout(0)
  local last, timeouts, signalled = 0, 0, false
  while true do
    local r, err, idx = data:send(out, last + 1)
    if r then
      check(r == size, "final index %s, want %d", tostring(r), size)
      break
    end
    check(err == "timeout", "send error %s", tostring(err))
    check(idx >= last and idx < size, "index %s after %s", tostring(idx), tostring(last))
    last, timeouts = idx, timeouts + 1
    if not signalled then
      send_all(ctl, "go\n", "go")
      signalled = true
    end
    local _, w, serr = socket.select(nil, { data }, TIMEOUT)
    check(serr == nil and w[1] == data, "select for writing: %s", tostring(serr))
  end
  check(timeouts >= 1, "no timeout while the peer was not reading")
  data:settimeout(TIMEOUT)
  expect_line(ctl, string.format("hash %d %s", size, checksum(out)), "hash of what the other side received")
  result.timeouts = timeouts
end

-- shutdown('send') on each side in turn; the other side still answers.
function scenarios.shutdown(conns)
  local a, b = conns[1], conns[2]
  -- a: the other side sends a request and half-closes; we answer and close.
  same(recv(a, "*a", "request"), "request", "request")
  send_all(a, "response", "response")
  a:close()
  -- b: we ask and half-close; the other side answers.
  send_all(b, "question", "question")
  check(b:shutdown("send") == 1, "shutdown('send')")
  local r, err, idx = b:send("more")
  check(r == nil and err == "closed" and idx == 0, "send after shutdown: %s %s %s", tostring(r), tostring(err), tostring(idx))
  same(recv(b, "*a", "answer"), "answer", "answer")
  local d, err2 = b:receive()
  check(d == nil and err2 == "closed", "receive after the answer: %s %s", tostring(d), tostring(err2))
  b:close()
  result.ok = true
end

-- socket.select over three connections: answer each ping where it arrived.
function scenarios.select(conns)
  local pongs, rounds = 0, 0
  while true do
    local r, _, err = socket.select(conns, nil, TIMEOUT)
    check(err == nil, "select: %s", tostring(err))
    check(#r >= 1, "select returned no socket")
    rounds = rounds + 1
    for _, c in ipairs(r) do
      local i = index_of(conns, c)
      check(i ~= nil, "select returned an unknown object")
      local line = recv(c, "*l", "command on connection " .. i)
      if line == "bye" then
        result.pongs, result.rounds = pongs, rounds
        return
      elseif line == "dirty" then
        send_all(c, "x\ny\n", "two lines")
      else
        local k = tonumber(line:match("^ping (%d)$"))
        check(k == i, "connection %d received %s", i, show(line))
        send_all(c, "pong " .. i .. "\n", "pong")
        pongs = pongs + 1
      end
    end
  end
end

------------------------------------------------------------------- main

local run = scenarios[scenario]
check(run ~= nil, "unknown scenario")
check(role == "server" or (role == "client" and port ~= nil), "usage: lua-peer.lua server|client SCENARIO [PORT]")

local conns = {}
if role == "server" then
  local srv = assert(socket.bind("127.0.0.1", 0))
  srv:settimeout(TIMEOUT)
  local _, p = srv:getsockname()
  print("port " .. p)
  for i = 1, NCONN[scenario] do
    local c, err = srv:accept()
    check(c, "accept %d: %s", i, tostring(err))
    conns[i] = c
  end
  srv:close()
else
  for i = 1, NCONN[scenario] do
    local c = socket.tcp()
    c:settimeout(TIMEOUT)
    local ok, err = c:connect("127.0.0.1", port)
    check(ok, "connect %d: %s", i, tostring(err))
    conns[i] = c
  end
end
for _, c in ipairs(conns) do
  c:settimeout(TIMEOUT)
end

run(conns)
for _, c in ipairs(conns) do
  c:close()
end
print("result " .. json.encode(result))
os.exit(0)
