-- Runs inputs through the real LuaSocket socket.url, for test/url.test.ts.
-- Input, one case per line: an operation name, then its arguments as fields separated by
-- spaces, each "-" for nil or "=" followed by the bytes in hex. Output, one line per case:
-- the results in the same field notation.
local url = require("socket.url")

local function unhex(field)
  if field == "-" then return nil end
  return (field:sub(2):gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end))
end

local function hex(v)
  if v == nil then return "-" end
  return "=" .. tostring(v):gsub(".", function(c) return string.format("%02x", c:byte()) end)
end

local PARTS = { "scheme", "authority", "userinfo", "user", "password", "host", "port",
  "path", "params", "query", "fragment" }

local function fields_of(t)
  local out = {}
  for i, name in ipairs(PARTS) do out[i] = hex(t[name]) end
  return table.concat(out, " ")
end

local function table_of(args, first)
  local t = {}
  for i, name in ipairs(PARTS) do t[name] = unhex(args[first + i - 1]) end
  return t
end

local handlers = {
  escape = function(a) return hex(url.escape(unhex(a[1]))) end,
  unescape = function(a) return hex(url.unescape(unhex(a[1]))) end,
  parse = function(a)
    local p, err = url.parse(unhex(a[1]))
    if not p then return "nil " .. hex(err) end
    return fields_of(p)
  end,
  -- parse over the defaults LuaSocket's http module uses
  parsedefault = function(a)
    local p, err = url.parse(unhex(a[1]), { path = "/", scheme = "http" })
    if not p then return "nil " .. hex(err) end
    return fields_of(p)
  end,
  build = function(a) return hex(url.build(table_of(a, 1))) end,
  absolute = function(a) return hex(url.absolute(unhex(a[1]), unhex(a[2]))) end,
  absolutetable = function(a) return hex(url.absolute(table_of(a, 2), unhex(a[1]))) end,
  parse_path = function(a)
    local p = url.parse_path(unhex(a[1]))
    local out = { hex(p.is_absolute), hex(p.is_directory) }
    for _, s in ipairs(p) do out[#out + 1] = hex(s) end
    return table.concat(out, " ")
  end,
  build_path = function(a)
    local segments = { is_absolute = unhex(a[2]) and 1, is_directory = unhex(a[3]) and 1 }
    for i = 4, #a do segments[#segments + 1] = unhex(a[i]) end
    return hex(url.build_path(segments, unhex(a[1])))
  end,
}

for line in io.lines() do
  local args = {}
  for field in line:gmatch("%S+") do args[#args + 1] = field end
  local op = table.remove(args, 1)
  local ok, result = pcall(handlers[op], args)
  io.write(ok and result or ("error " .. hex(result)), "\n")
end
