/*
 * Garbage-collection guards. LuaSocket closes a socket object that becomes garbage; here
 * each socket object holds a guard, an external value standing for its descriptor and its
 * I/O worker channel. When the guard is collected, the descriptor is closed and the
 * channel id queued for the owning worker, which polls the queue (takeOrphans).
 *
 * Stable Node-API runs finalizers on a later event-loop turn, which a blocking script that
 * never yields never reaches. What the collector does synchronously is clear weak
 * references. So each thread keeps its armed guards in a table, each with one weak
 * reference (refcount 0) to itself, and sweeps the table (releasing the guards whose
 * reference reads NULL) whenever a collection has run since it last looked: a "canary"
 * object held only by a weak reference tells. It looks before each call that opens a
 * descriptor (socket, accept, dup, guard), so a call that failed for want of descriptors
 * and is retried after a forced collection finds the collected ones closed, and at
 * reclaim(), which a blocking call can make before it waits. The finalizer still releases a guard the sweeps have not reached, for
 * scripts that do yield.
 */
#include "luasocket.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define NO_SLOT SIZE_MAX

struct guard_set;

typedef struct guard {
  struct guard_set *set;
  napi_ref weak;   /* to the guard's own external value; NULL once released */
  size_t slot;     /* index in set->items while armed, else NO_SLOT */
  int fd;
  int32_t engine;  /* the owning I/O worker's token */
  int32_t channel; /* its channel id, 0 when the worker has none */
} guard;

/* One thread's (one napi_env's) armed guards. Freed once the environment is gone and the
   last guard has left: at teardown their finalizers may run after the instance data's. */
typedef struct guard_set {
  guard **items;
  size_t len, cap;
  napi_ref canary;
  bool env_gone;
} guard_set;

static void set_free_if_done(guard_set *set) {
  if (!set->env_gone || set->len > 0) return;
  free(set->items);
  free(set);
}

static bool set_add(guard_set *set, guard *g) {
  if (set->len == set->cap) {
    size_t cap = set->cap ? set->cap * 2 : 64;
    guard **grown = realloc(set->items, cap * sizeof *grown);
    if (!grown) return false;
    set->items = grown;
    set->cap = cap;
  }
  g->slot = set->len;
  set->items[set->len++] = g;
  return true;
}

static void set_remove(guard *g) {
  guard_set *set = g->set;
  guard *last = set->items[--set->len];
  set->items[g->slot] = last;
  last->slot = g->slot;
  g->slot = NO_SLOT;
}

/* ---- Orphaned channels, process-wide: queued on the caller's thread, taken on the
   worker's. */

typedef struct orphan {
  int32_t engine;
  int32_t channel;
} orphan;

static pthread_mutex_t orphans_lock = PTHREAD_MUTEX_INITIALIZER;
static orphan *orphans = NULL;
static size_t orphans_len = 0, orphans_cap = 0;

static void queue_orphan(int32_t engine, int32_t channel) {
  pthread_mutex_lock(&orphans_lock);
  if (orphans_len == orphans_cap) {
    size_t cap = orphans_cap ? orphans_cap * 2 : 64;
    orphan *grown = realloc(orphans, cap * sizeof *orphans);
    if (!grown) { /* out of memory: the worker keeps the channel; nothing else breaks */
      pthread_mutex_unlock(&orphans_lock);
      return;
    }
    orphans = grown;
    orphans_cap = cap;
  }
  orphans[orphans_len++] = (orphan){engine, channel};
  pthread_mutex_unlock(&orphans_lock);
}

/* ---- Releasing */

/* The guarded object is gone: close its descriptor, hand its channel to the worker. */
static void release(guard *g) {
  if (g->fd >= 0) close(g->fd);
  if (g->channel > 0) queue_orphan(g->engine, g->channel);
  set_remove(g);
}

static void drop_weak(napi_env env, guard *g) {
  if (g->weak) napi_delete_reference(env, g->weak);
  g->weak = NULL;
}

/* Releases every armed guard whose object was collected; returns how many. */
static uint32_t sweep(napi_env env, guard_set *set) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  uint32_t released = 0;
  for (size_t i = 0; i < set->len;) {
    guard *g = set->items[i];
    napi_value v = NULL;
    if (napi_get_reference_value(env, g->weak, &v) == napi_ok && v == NULL) {
      release(g); /* moves the last guard into slot i */
      drop_weak(env, g);
      released++;
    } else {
      i++;
    }
  }
  napi_close_handle_scope(env, scope);
  return released;
}

/* True if a collection ran since the previous call (the canary is gone); plants a new one. */
static bool collected_since_last_look(napi_env env, guard_set *set) {
  if (set->canary) {
    napi_value v = NULL;
    if (napi_get_reference_value(env, set->canary, &v) == napi_ok && v != NULL) return false;
    napi_delete_reference(env, set->canary);
    set->canary = NULL;
  }
  napi_value obj;
  if (napi_create_object(env, &obj) == napi_ok) napi_create_reference(env, obj, 0, &set->canary);
  return true;
}

static guard_set *set_of(napi_env env) {
  void *data = NULL;
  napi_get_instance_data(env, &data);
  return data;
}

uint32_t guards_reclaim_if_collected(napi_env env) {
  guard_set *set = set_of(env);
  if (set && set->len > 0 && collected_since_last_look(env, set)) return sweep(env, set);
  return 0;
}

/* ---- Per-thread setup and teardown */

static void set_finalize(napi_env env, void *data, void *hint) {
  guard_set *set = data;
  if (set->canary) napi_delete_reference(env, set->canary);
  set->canary = NULL;
  set->env_gone = true;
  set_free_if_done(set);
}

bool guards_init(napi_env env) {
  guard_set *set = calloc(1, sizeof *set);
  if (!set) {
    napi_throw_error(env, NULL, "out of memory");
    return false;
  }
  if (napi_set_instance_data(env, set, set_finalize, NULL) != napi_ok) {
    free(set);
    return false;
  }
  return true;
}

/* Runs on a later event-loop turn, or at the environment's teardown. */
static void guard_finalize(napi_env env, void *data, void *hint) {
  guard *g = data;
  guard_set *set = g->set;
  if (g->slot != NO_SLOT) release(g);
  drop_weak(env, g);
  free(g);
  set_free_if_done(set);
}

/* ---- JS functions */

JS_FN(js_guard) {
  GET_ARGS(3);
  int32_t fd, engine, channel;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_int(env, argv[1], "engine", &engine) ||
      !arg_int(env, argv[2], "channel", &channel))
    return NULL;
  guard_set *set = set_of(env);
  if (!set) return js_null(env);
  guards_reclaim_if_collected(env);
  guard *g = malloc(sizeof *g);
  if (!g) return js_null(env);
  *g = (guard){set, NULL, NO_SLOT, fd, engine, channel};
  napi_value ext;
  if (napi_create_external(env, g, guard_finalize, NULL, &ext) != napi_ok) {
    free(g);
    return js_null(env);
  }
  /* From here on the finalizer owns g: a guard that fails to arm just guards nothing. */
  if (napi_create_reference(env, ext, 0, &g->weak) != napi_ok) return js_null(env);
  if (!set_add(set, g)) {
    drop_weak(env, g);
    return js_null(env);
  }
  return ext;
}

/* The object was closed explicitly: its guard must not close anything later. */
JS_FN(js_disarm) {
  GET_ARGS(1);
  void *data = NULL;
  if (napi_get_value_external(env, argv[0], &data) != napi_ok || !data) return NULL;
  guard *g = data;
  if (g->slot != NO_SLOT) set_remove(g);
  drop_weak(env, g);
  return NULL;
}

/* Releases collected guards if a collection ran since the last look: how many. Cheap
   otherwise, so a blocking call (sleep) can give the helper a look before it waits. */
JS_FN(js_reclaim) {
  (void)info;
  return js_int(env, (int32_t)guards_reclaim_if_collected(env));
}

/* Channel ids of collected objects that belong to `engine`, removed from the queue. */
JS_FN(js_take_orphans) {
  GET_ARGS(1);
  int32_t engine;
  if (!arg_int(env, argv[0], "engine", &engine)) return NULL;
  napi_value out = new_array(env);
  pthread_mutex_lock(&orphans_lock);
  size_t kept = 0;
  for (size_t i = 0; i < orphans_len; i++) {
    if (orphans[i].engine == engine) push(env, out, js_int(env, orphans[i].channel));
    else orphans[kept++] = orphans[i];
  }
  orphans_len = kept;
  pthread_mutex_unlock(&orphans_lock);
  return out;
}
