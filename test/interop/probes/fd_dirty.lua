-- getfd / setfd / dirty on every object kind: types, counts, argument errors, and what a
-- foreign descriptor does (setfd moves the OS socket between objects; close closes it).
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local P = require("lib")
local socket, unix = P.socket, P.unix
local dir = P.tmpdir()

local kinds = {
  { "tcp()", socket.tcp },
  { "tcp4()", socket.tcp4 },
  { "udp()", socket.udp },
  { "udp4()", socket.udp4 },
  { "udp6()", socket.udp6 },
  { "unix.stream()", unix.stream },
  { "unix.dgram()", unix.dgram },
}
for _, k in ipairs(kinds) do
  local label, new = k[1], k[2]
  P.section(label)
  local o = new()
  local fd = P.m(label .. " getfd", o, "getfd")
  P.m(label .. " dirty", o, "dirty")
  P.m(label .. " dirty(extra)", o, "dirty", 1)
  P.m(label .. " setfd(fd)", o, "setfd", fd)
  P.m(label .. " setfd()", o, "setfd")
  P.m(label .. " setfd('7')", o, "setfd", "7")
  P.m(label .. " getfd after setfd('7')", o, "getfd")
  P.m(label .. " setfd(fd)", o, "setfd", fd)
  P.m(label .. " setfd(1.9)", o, "setfd", 1.9)
  P.m(label .. " getfd after setfd(1.9)", o, "getfd")
  P.m(label .. " setfd(-5)", o, "setfd", -5)
  P.m(label .. " getfd after setfd(-5)", o, "getfd")
  o:setfd(fd)
  o:close()
end

P.section("setfd moves a descriptor: a udp4's socket under another udp4 object")
local a = socket.udp4()
assert(a:setsockname("127.0.0.1", 0))
local _, aport = a:getsockname()
local b = socket.udp4()
local bfd = b:getfd()
b:setfd(a:getfd())
P.m("b:getsockname (a's socket)", b, "getsockname")
P.show("   a's port", aport)
b:setfd(bfd)
b:close()
a:close()
P.cleanup()
