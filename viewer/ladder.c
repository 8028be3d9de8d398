/* ladder.c — `scenario trace`: the terminal printer of the ladder rows
 * (ladder_rows.h makes them from the events and collapses repeats): one
 * column per party in at most 100 columns, narration wrapped, the simulated
 * day shown when it changes. Only the collapse window is kept in memory. */
#include "ladder.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ladder_rows.h"
#include "trace_read.h"
#include "ui.h"

/* The columns: time, then one lane per party, then the row's words. The
 * lanes are 12 apart so that the words keep 45 of the 100 columns. */
#define LADDER_TIME_COLS 12
#define LADDER_LABEL_COL 55
#define LADDER_LABEL_COLS (SCN_LADDER_WIDTH - LADDER_LABEL_COL)
static const int lane_col[SCN_LANE_COUNT] = {16, 28, 40, 52};

struct ladder {
    FILE *out;
    struct scn_ui ui; /* narration goes through scn_ui_print's wrapping */
    struct scn_ladder_rows rows;
    char date[16]; /* the simulated day last shown */
    bool has_header;
    long rows_printed;
};

static const char *const tone_on[] = {
    [SCN_TONE_PLAIN] = "",       [SCN_TONE_TITLE] = "\033[1;34m", [SCN_TONE_SAY] = "\033[1;36m",
    [SCN_TONE_STEP] = "\033[1m", [SCN_TONE_GOOD] = "\033[32m",    [SCN_TONE_BAD] = "\033[1;31m",
    [SCN_TONE_DIM] = "\033[2m",
};

static const char *field_str(json_t *event, const char *key)
{
    const char *s = json_string_value(json_object_get(event, key));
    return s != NULL ? s : "";
}

/* scn_ui_print wraps at spaces but keeps a longer word whole; a word longer
 * than a narration line's room is cut so that no line passes 100 columns. */
static void narration_words(const char *text, char *out, size_t cap)
{
    const int room = SCN_LADDER_WIDTH - LADDER_TIME_COLS - 4;
    size_t used = 0;
    while (*text != 0 && used + 1 < cap) {
        size_t word = strcspn(text, " ");
        char fitted[SCN_ROW_LABEL_BYTES + 8], piece[SCN_ROW_LABEL_BYTES + 8];
        snprintf(piece, sizeof piece, "%.*s", (int)word, text);
        scn_ui_fit(piece, room, fitted, sizeof fitted);
        int n = snprintf(out + used, cap - used, "%s%s", fitted, text[word] == ' ' ? " " : "");
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
        text += word + (text[word] == ' ');
    }
    out[used] = 0;
}

static void print_header(struct ladder *l)
{
    char line[SCN_LADDER_WIDTH + 1];
    memset(line, ' ', SCN_LADDER_WIDTH);
    memcpy(line, "time", 4);
    for (int i = 0; i < SCN_LANE_COUNT; i++) {
        size_t len = strlen(scn_lane_names[i]);
        memcpy(line + lane_col[i] - (int)len / 2, scn_lane_names[i], len);
    }
    int end = lane_col[SCN_LANE_COUNT - 1] + 2;
    while (end > 0 && line[end - 1] == ' ')
        end--;
    line[end] = 0;
    fprintf(l->out, "%s%s%s\n", l->ui.has_color ? "\033[1m" : "", line,
            l->ui.has_color ? "\033[0m" : "");
    l->has_header = true;
}

/* The emit callback of the row collapser: one finished row, printed. */
static void print_row(const struct scn_ladder_row *row, void *ctx)
{
    struct ladder *l = ctx;
    char ts[sizeof row->ts], time_text[16], label[SCN_ROW_LABEL_BYTES + 32],
        fitted[SCN_ROW_LABEL_BYTES + 8];
    const char *dim = l->ui.has_color ? tone_on[SCN_TONE_DIM] : "";
    const char *off = l->ui.has_color ? "\033[0m" : "";
    if (!l->has_header)
        print_header(l);
    /* The time and the words come from the trace: no escape sequence of
     * theirs reaches the terminal. */
    snprintf(ts, sizeof ts, "%s", row->ts);
    trace_printable(ts);
    if (strlen(ts) >= 10 && strncmp(ts, l->date, 10) != 0) {
        snprintf(l->date, sizeof l->date, "%.10s", ts);
        fprintf(l->out, "%s---- %s (simulated time, UTC) ----%s\n", dim, l->date, off);
    }
    snprintf(time_text, sizeof time_text, "%-*.*s", LADDER_TIME_COLS, LADDER_TIME_COLS,
             strlen(ts) > 11 ? ts + 11 : ts);
    if (row->count > 1)
        snprintf(label, sizeof label, "%s ×%ld", row->label, row->count);
    else
        snprintf(label, sizeof label, "%s", row->label);
    trace_printable(label);
    l->rows_printed++;
    if (row->kind == SCN_ROW_NARRATION) {
        char lead[32];
        char text[SCN_ROW_LABEL_BYTES + 64];
        snprintf(lead, sizeof lead, "%s  » ", time_text);
        narration_words(label, text, sizeof text);
        scn_ui_print(&l->ui, row->tone, lead, text);
        return;
    }
    char lanes[LADDER_LABEL_COL + 1];
    memset(lanes, ' ', LADDER_LABEL_COL);
    lanes[LADDER_LABEL_COL] = 0;
    for (int i = 0; i < SCN_LANE_COUNT; i++)
        lanes[lane_col[i]] = '|';
    if (row->kind == SCN_ROW_ARROW) {
        int a = lane_col[row->from], b = lane_col[row->to];
        int lo = a < b ? a : b, hi = a < b ? b : a;
        for (int c = lo + 1; c < hi; c++)
            lanes[c] = '-';
        if (a < b)
            lanes[hi - 1] = '>';
        else
            lanes[lo + 1] = '<';
    } else {
        lanes[lane_col[row->from]] = '*';
    }
    scn_ui_fit(label, LADDER_LABEL_COLS, fitted, sizeof fitted);
    const char *on = l->ui.has_color ? tone_on[row->tone] : "";
    fprintf(l->out, "%s%.*s%s%s%s%s%s\n", dim, LADDER_TIME_COLS, time_text, off,
            lanes + LADDER_TIME_COLS, on, fitted, on[0] != 0 ? off : "");
}

/* RFC 3339 times of one format compare as text; a shorter bound ("2026-11-26")
 * compares on its own length, so --until 2026-11-26 includes that whole day. */
static int compare_ts_prefix(const char *ts, const char *bound)
{
    return strncmp(ts, bound, strlen(bound));
}

bool scn_ladder_filter_match(const struct scn_ladder_filter *filter, json_t *event)
{
    const char *ts = field_str(event, "ts");
    if (filter->actor != NULL && strcmp(field_str(event, "actor"), filter->actor) != 0)
        return false;
    if (filter->event_glob != NULL &&
        fnmatch(filter->event_glob, field_str(event, "event"), 0) != 0)
        return false;
    if (filter->user > 0) {
        json_t *user = json_object_get(event, "user");
        if (!json_is_integer(user) || json_integer_value(user) != filter->user)
            return false;
    }
    if (filter->since != NULL && compare_ts_prefix(ts, filter->since) < 0)
        return false;
    if (filter->until != NULL && compare_ts_prefix(ts, filter->until) > 0)
        return false;
    return true;
}

/* One event that passed the reader: filtered, then drawn or passed on. */
static void take_event(struct ladder *l, const struct scn_ladder_options *opt, json_t *ev,
                       const char *text, size_t len, struct scn_ladder_stats *stats)
{
    if (!scn_ladder_filter_match(&opt->filter, ev))
        return;
    stats->events++;
    if (opt->is_json) {
        fwrite(text, 1, len, l->out);
        fputc('\n', l->out);
        stats->rows++;
        return;
    }
    if (!opt->filter.show_all && scn_ladder_is_runner_own(ev))
        return; /* the runner looking at /stats: not part of the story */
    struct scn_ladder_row row;
    scn_ladder_row_from_event(ev, &row);
    scn_ladder_rows_add(&l->rows, &row);
}

/* Is the file at `path` no longer the one open as fd (removed, replaced by a
 * new run, or cut shorter than what was read)? */
static bool is_replaced(int fd, const char *path)
{
    struct stat open_st, path_st;
    if (fstat(fd, &open_st) != 0 || stat(path, &path_st) != 0)
        return true;
    if (open_st.st_dev != path_st.st_dev || open_st.st_ino != path_st.st_ino)
        return true;
    off_t read_to = lseek(fd, 0, SEEK_CUR);
    return read_to >= 0 && open_st.st_size < read_to;
}

int scn_ladder_draw(int fd, const char *name, FILE *out, FILE *errs,
                    const struct scn_ladder_options *opt, struct scn_ladder_stats *stats)
{
    int rc = -1;
    struct trace_reader reader;
    struct ladder *l = calloc(1, sizeof *l);
    memset(stats, 0, sizeof *stats);
    if (l == NULL || trace_reader_open(&reader, fd, name, errs) != 0) {
        fprintf(errs, "%s: out of memory\n", name);
        free(l);
        return -1;
    }
    l->out = out;
    l->ui = (struct scn_ui){.out = out, .has_color = opt->has_color, .width = SCN_LADDER_WIDTH};
    scn_ladder_rows_init(&l->rows, print_row, l);
    int poll_ms = opt->poll_ms > 0 ? opt->poll_ms : 200;
    bool was_replaced = false;
    for (;;) {
        json_t *ev = NULL;
        const char *text = NULL;
        size_t len = 0;
        enum trace_file_result r = trace_reader_next(&reader, !opt->is_follow, &ev, &text, &len);
        if (r == TRACE_FILE_LINE) {
            take_event(l, opt, ev, text, len, stats);
            json_decref(ev);
        } else if (r == TRACE_FILE_ERROR) {
            fprintf(errs, "%s: cannot read: %s\n", name, strerror(errno));
            goto out;
        } else if (!opt->is_follow) {
            break;
        } else {
            /* --follow: show what is held (the next row may repeat it, and
             * would then print again with its own count), then wait. */
            scn_ladder_rows_flush(&l->rows);
            if (fflush(out) != 0 || (opt->should_stop != NULL && opt->should_stop()))
                break;
            if (opt->follow_path != NULL && is_replaced(fd, opt->follow_path)) {
                was_replaced = true;
                break;
            }
            struct timespec pause = {poll_ms / 1000, (long)(poll_ms % 1000) * 1000000L};
            nanosleep(&pause, NULL);
            if (opt->should_stop != NULL && opt->should_stop())
                break;
        }
        if (ferror(out))
            break;
    }
    scn_ladder_rows_flush(&l->rows);
    trace_reader_finish(&reader);
    if (fflush(out) != 0 || ferror(out)) {
        if (errno != EPIPE) /* `| head` closing early is not a failure */
            fprintf(errs, "%s: cannot write the output: %s\n", name, strerror(errno));
        goto out;
    }
    rc = was_replaced ? SCN_LADDER_REPLACED : 0;
out:
    stats->lines = reader.lines;
    stats->skipped = reader.skipped;
    stats->rows += l->rows_printed;
    trace_reader_free(&reader);
    scn_ladder_rows_free(&l->rows);
    free(l);
    return rc;
}
