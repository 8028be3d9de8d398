/* trace.c — the protocol trace (DESIGN section 5): one JSON object per line in
 * LAB/trace.jsonl, each line appended with a single write() so that lines from
 * every process and thread of the lab stay whole.
 *
 * Why one write() is enough: the file is opened O_APPEND, so each write()
 * lands at the end of the file as one step. POSIX promises no interleaving
 * only for pipes (PIPE_BUF), but Linux holds the inode lock for the whole
 * write() on regular files of local file systems (ext4, xfs, btrfs, tmpfs),
 * so writes of a few KB from different processes never mix; lines are kept
 * under TRACE_MAX_LINE for that reason. NFS gives no such guarantee: keep the
 * lab directory on a local disk. A short write is reported, never retried:
 * a second write() could put another process's line into the middle. */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "utf8.h"

#define TRACE_MAX_ACTOR 31
#define TRACE_CUT_MARK "..."

/* The open trace of this process. Events only read it (and may run in any
 * number of threads at once); open and close replace it under the write lock,
 * so no event ever writes to a closed or reused descriptor. */
static struct {
    pthread_rwlock_t lock;
    int fd;
    char actor[TRACE_MAX_ACTOR + 1];
} trace_state = {.lock = PTHREAD_RWLOCK_INITIALIZER, .fd = -1};

static bool is_valid_actor(const char *actor)
{
    size_t len = actor == NULL ? 0 : strlen(actor);
    if (len == 0 || len > TRACE_MAX_ACTOR)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = actor[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

int trace_open(const char *lab_dir, const char *actor, struct errbuf *err)
{
    char path[4096];

    if (!is_valid_actor(actor)) {
        errbuf_set(err,
                   "trace: actor \"%s\" is not a short lower-case name "
                   "(ca, responder, webserver, browser, scenario)",
                   actor == NULL ? "(null)" : actor);
        return -1;
    }
    if (lab_dir == NULL || file_path_join(path, sizeof path, lab_dir, "trace.jsonl") != 0) {
        errbuf_set(err, "trace: lab directory path is missing or too long");
        return -1;
    }
    /* 0644 (less the umask): students read the trace with jq and editors. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        errbuf_set(err, "cannot open %s: %s%s", path, strerror(errno),
                   errno == ENOENT ? " (does the lab directory exist?)" : "");
        return -1;
    }
    pthread_rwlock_wrlock(&trace_state.lock);
    int old_fd = trace_state.fd;
    trace_state.fd = fd;
    snprintf(trace_state.actor, sizeof trace_state.actor, "%s", actor);
    pthread_rwlock_unlock(&trace_state.lock);
    if (old_fd >= 0)
        close(old_fd);
    return 0;
}

void trace_close(void)
{
    pthread_rwlock_wrlock(&trace_state.lock);
    int fd = trace_state.fd;
    trace_state.fd = -1;
    trace_state.actor[0] = 0;
    pthread_rwlock_unlock(&trace_state.lock);
    if (fd >= 0)
        close(fd);
}

/* Copies `in` into `out` (capacity `cap`, cap > sizeof TRACE_CUT_MARK) as valid
 * UTF-8: a bad byte becomes '?', since jansson refuses invalid strings and a
 * peer's name may be anything. Text that does not fit is cut at a character
 * boundary and marked with "...". */
static void clean_utf8(const char *in, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t left = strlen(in);
    size_t room = cap - 1;
    size_t used = 0;
    bool is_cut = false;

    while (left > 0) {
        size_t len = utf8_sequence_len(s, left);
        size_t emit = len == 0 ? 1 : len;
        if (used + emit > room) {
            is_cut = true;
            break;
        }
        if (len == 0)
            out[used] = '?';
        else
            memcpy(out + used, s, len);
        used += emit;
        s += emit;
        left -= emit;
    }
    if (is_cut) {
        /* Back up to a character boundary that leaves room for the mark. */
        size_t mark = sizeof TRACE_CUT_MARK - 1;
        while (used > 0 && used + mark > room)
            used--;
        while (used > 0 && ((unsigned char)out[used] & 0xc0) == 0x80)
            used--;
        memcpy(out + used, TRACE_CUT_MARK, mark);
        used += mark;
    }
    out[used] = 0;
}

/* ts, actor, pid, event, msg: the fields every line starts with. */
static json_t *required_fields(const char *ts, const char *actor, const char *event,
                               const char *msg)
{
    json_t *obj = json_object();
    if (obj == NULL)
        return NULL;
    if (json_object_set_new(obj, "ts", json_string(ts)) != 0 ||
        json_object_set_new(obj, "actor", json_string(actor)) != 0 ||
        json_object_set_new(obj, "pid", json_integer((json_int_t)getpid())) != 0 ||
        json_object_set_new(obj, "event", json_string(event)) != 0 ||
        json_object_set_new(obj, "msg", json_string(msg)) != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* Serializes obj into line (capacity TRACE_MAX_LINE) with its newline; returns
 * the line length, or 0 when it does not fit or cannot be encoded. */
static size_t encode_line(const json_t *obj, char *line)
{
    /* Compact, in insertion order (the required fields first), UTF-8 as is. */
    size_t len = json_dumpb(obj, line, TRACE_MAX_LINE - 1, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (len == 0 || len > TRACE_MAX_LINE - 1)
        return 0;
    line[len] = '\n';
    return len + 1;
}

static _Thread_local bool is_thread_muted;

void trace_mute_thread(bool is_muted)
{
    is_thread_muted = is_muted;
}

int trace_event(const char *event, json_t *fields, const char *fmt, ...)
{
    if (is_thread_muted) {
        json_decref(fields);
        return 0;
    }
    int rc = -1;
    json_t *obj = NULL;
    char *line = NULL;
    /* Longer than msg, so that a character vsnprintf cut in half lies beyond
     * the point where clean_utf8 cuts and marks the message. */
    char raw_msg[TRACE_MAX_MSG + 8];
    char msg[TRACE_MAX_MSG + 1];
    char event_name[TRACE_MAX_EVENT + 1];
    char ts[CLOCK_RFC3339_LEN];
    va_list ap;

    pthread_rwlock_rdlock(&trace_state.lock);
    if (trace_state.fd < 0) {
        rc = 0;
        goto out;
    }
    if (event == NULL || fmt == NULL)
        goto out;
    if (clock_format_rfc3339(clock_now_ms(), ts, sizeof ts) != 0)
        goto out;
    /* vsnprintf cuts at the byte limit; clean_utf8 then repairs the cut. */
    va_start(ap, fmt);
    int msg_len = vsnprintf(raw_msg, sizeof raw_msg, fmt, ap);
    va_end(ap);
    if (msg_len < 0)
        goto out;
    clean_utf8(raw_msg, msg, sizeof msg);
    clean_utf8(event, event_name, sizeof event_name);

    obj = required_fields(ts, trace_state.actor, event_name, msg);
    line = malloc(TRACE_MAX_LINE);
    if (obj == NULL || line == NULL)
        goto out;
    /* update_missing: a field named like a required key never replaces it. */
    if (json_is_object(fields) && json_object_update_missing(obj, fields) != 0)
        goto out;
    size_t len = encode_line(obj, line);
    if (len == 0) {
        /* Too long for one write: keep the record that something happened.
         * The required fields alone always fit (their sizes are bounded). */
        json_decref(obj);
        obj = required_fields(ts, trace_state.actor, event_name, msg);
        if (obj == NULL || json_object_set_new(obj, "truncated", json_true()) != 0)
            goto out;
        len = encode_line(obj, line);
        if (len == 0)
            goto out;
    }
    ssize_t written;
    do {
        written = write(trace_state.fd, line, len);
    } while (written < 0 && errno == EINTR); /* EINTR: nothing was written */
    if (written != (ssize_t)len)
        goto out;
    rc = 0;
out:
    pthread_rwlock_unlock(&trace_state.lock);
    free(line);
    json_decref(obj);
    json_decref(fields);
    return rc;
}
