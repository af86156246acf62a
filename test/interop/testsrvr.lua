-- The server half of LuaSocket's own test suite, played by the real LuaSocket for
-- luasocket-suite.test.ts (written here from the description of the suite's harness).
--
--   lua5.4 testsrvr.lua        binds 127.0.0.1:0 and prints "port N"
--
-- It accepts a control connection, then reads one line of Lua at a time, acknowledges it
-- with an empty line *before* running it, and runs it. Lines see the globals `socket`,
-- `server` (the listening socket: lines call server:accept() to get a data connection)
-- and whatever earlier lines stored (by convention `data`, the current data connection).
-- When the control connection closes it waits for the next one; a line may call
-- os.exit(). Everything has a timeout and the script gives up after 300 s in all.
socket = require("socket")
io.stdout:setvbuf("line")

local LIMIT = socket.gettime() + 300

server = assert(socket.bind("127.0.0.1", 0))
server:settimeout(10)
local _, port = server:getsockname()
print("port " .. port)

while socket.gettime() < LIMIT do
  local control, err = server:accept()
  if control then
    control:settimeout(60)
    while true do
      local line, rerr = control:receive()
      if not line then
        if rerr ~= "closed" then io.stderr:write("testsrvr: control: ", rerr, "\n") end
        control:close()
        break
      end
      control:send("\n")
      local chunk, lerr = load(line, "=remote")
      if not chunk then
        io.stderr:write("testsrvr: cannot load: ", lerr, "\n")
      else
        local ok, rerr2 = pcall(chunk)
        if not ok then io.stderr:write("testsrvr: ", tostring(rerr2), "\n") end
      end
    end
  elseif err ~= "timeout" then
    io.stderr:write("testsrvr: accept: ", err, "\n")
    os.exit(1)
  end
end
io.stderr:write("testsrvr: time limit reached\n")
os.exit(2)
