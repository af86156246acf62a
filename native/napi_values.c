/* Argument parsing and result building on top of Node-API. */
#include "luasocket.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool throw_type(napi_env env, const char *name, const char *expected) {
  char msg[128];
  snprintf(msg, sizeof msg, "%s must be %s", name, expected);
  napi_throw_type_error(env, NULL, msg);
  return false;
}

static bool is_type(napi_env env, napi_value v, napi_valuetype want) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == want;
}

/*
 * Reads an integral int32. napi_get_value_int32 alone would truncate 3.5 and
 * wrap 2^32 + 3 to 3, silently turning garbage into a live fd.
 */
bool arg_int(napi_env env, napi_value v, const char *name, int32_t *out) {
  double d;
  /* napi_get_value_double itself refuses anything but a number (napi_number_expected). */
  if (napi_get_value_double(env, v, &d) != napi_ok || d != d || d < INT32_MIN || d > INT32_MAX ||
      d != (double)(int32_t)d)
    return throw_type(env, name, "an int32 integer");
  *out = (int32_t)d;
  return true;
}

bool arg_bool(napi_env env, napi_value v, const char *name, bool *out) {
  if (!is_type(env, v, napi_boolean) || napi_get_value_bool(env, v, out) != napi_ok)
    return throw_type(env, name, "a boolean");
  return true;
}

/*
 * Copies a JS string into a malloc'd C string (*out, caller frees).
 * null/undefined yield STR_NULL when nullable. A string with an embedded NUL
 * yields STR_HAS_NUL (and no copy): C would silently see only its prefix, so
 * callers report it as "does not parse" instead.
 */
str_status arg_string(napi_env env, napi_value v, const char *name, bool nullable, char **out) {
  *out = NULL;
  if (nullable && (is_type(env, v, napi_null) || is_type(env, v, napi_undefined)))
    return STR_NULL;
  size_t len;
  if (!is_type(env, v, napi_string) ||
      napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    throw_type(env, name, nullable ? "a string or null" : "a string");
    return STR_THREW;
  }
  char *s = malloc(len + 1);
  if (s == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return STR_THREW;
  }
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  if (strlen(s) != len) {
    free(s);
    return STR_HAS_NUL;
  }
  *out = s;
  return STR_OK;
}

bool arg_bytes(napi_env env, napi_value v, const char *name, uint8_t **data, size_t *len) {
  napi_typedarray_type type = napi_int8_array;
  void *raw = NULL;
  /* napi_get_typedarray_info itself refuses anything but a typed array (napi_invalid_arg). */
  if (napi_get_typedarray_info(env, v, &type, len, &raw, NULL, NULL) != napi_ok || type != napi_uint8_array)
    return throw_type(env, name, "a Uint8Array");
  *data = raw;
  return true;
}

/* argv[0] is the array, argv[1] the offset, argv[2] the length. */
bool arg_range(napi_env env, napi_value *argv, const char *name, uint8_t **data, size_t *len,
               bool *ok) {
  int32_t offset, length;
  size_t size;
  uint8_t *base;
  if (!arg_bytes(env, argv[0], name, &base, &size) ||
      !arg_int(env, argv[1], "offset", &offset) || !arg_int(env, argv[2], "length", &length))
    return false;
  *ok = offset >= 0 && length >= 0 && (size_t)offset + (size_t)length <= size;
  *data = base + (*ok ? offset : 0);
  *len = *ok ? (size_t)length : 0;
  return true;
}

/* Node-API creation calls only fail with an exception already pending; the NULL they
   leave behind then surfaces as that exception. */

napi_value js_int(napi_env env, int32_t v) {
  napi_value r = NULL;
  napi_create_int32(env, v, &r);
  return r;
}

napi_value js_bool(napi_env env, bool v) {
  napi_value r = NULL;
  napi_get_boolean(env, v, &r);
  return r;
}

napi_value js_null(napi_env env) {
  napi_value r = NULL;
  napi_get_null(env, &r);
  return r;
}

/* A C string, or JS null for NULL. */
napi_value js_str(napi_env env, const char *s) {
  if (s == NULL) return js_null(env);
  napi_value r = NULL;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &r);
  return r;
}

napi_value js_latin1(napi_env env, const char *s, size_t len) {
  napi_value r = NULL;
  napi_create_string_latin1(env, s, len, &r);
  return r;
}

napi_value js_tuple(napi_env env, size_t n, const napi_value *items) {
  napi_value arr = NULL;
  napi_create_array_with_length(env, n, &arr);
  for (size_t i = 0; i < n; i++) napi_set_element(env, arr, (uint32_t)i, items[i]);
  return arr;
}

void push(napi_env env, napi_value arr, napi_value item) {
  uint32_t len = 0;
  napi_get_array_length(env, arr, &len);
  napi_set_element(env, arr, len, item);
}

napi_value new_array(napi_env env) {
  napi_value arr = NULL;
  napi_create_array(env, &arr);
  return arr;
}

int err_of(int rc) { return rc == 0 ? 0 : errno; }
