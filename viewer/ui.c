/* ui.c — printing for the class. */
#include "ui.h"

#include "utf8.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define SCN_UI_MAX_WIDTH 100

static const char *const tone_codes[] = {
    [SCN_TONE_PLAIN] = "",       [SCN_TONE_TITLE] = "\033[1;34m", [SCN_TONE_SAY] = "\033[1;36m",
    [SCN_TONE_STEP] = "\033[1m", [SCN_TONE_GOOD] = "\033[32m",    [SCN_TONE_BAD] = "\033[1;31m",
    [SCN_TONE_DIM] = "\033[2m",
};

void scn_ui_init(struct scn_ui *ui, bool is_quiet)
{
    const char *no_color = getenv("NO_COLOR");
    ui->out = stdout;
    ui->is_quiet = is_quiet;
    ui->has_color = isatty(STDOUT_FILENO) && (no_color == NULL || no_color[0] == 0);
    ui->width = SCN_UI_MAX_WIDTH;
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40 &&
        ws.ws_col < SCN_UI_MAX_WIDTH)
        ui->width = ws.ws_col;
}

/* Columns a UTF-8 string takes (one per character; the lab writes no wide ones). */
static int columns(const char *s, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xc0) != 0x80;
    return n;
}

size_t scn_ui_line_bytes(const char *text, int room)
{
    /* As many words as fit in `room` columns (a longer word alone). */
    size_t take = 0, last_space = 0;
    int cols = 0;
    while (text[take] != 0 && text[take] != '\n') {
        if (text[take] == ' ')
            last_space = take;
        cols += ((unsigned char)text[take] & 0xc0) != 0x80;
        if (cols > room && last_space > 0)
            return last_space;
        take++;
    }
    return take;
}

int scn_ui_wrap_count(const char *text, int room)
{
    int lines = 0;
    while (*text != 0) {
        text += scn_ui_line_bytes(text, room);
        while (*text == ' ' || *text == '\n')
            text++;
        lines++;
    }
    return lines > 0 ? lines : 1;
}

int scn_ui_balanced_room(const char *text, int room)
{
    /* The narrowest room that needs no more lines than `room` does: the
     * words spread evenly, so no line ends up with one word. */
    int lines = scn_ui_wrap_count(text, room), best = room;
    if (lines <= 1)
        return room;
    for (int r = room - 1; r > room / 2 && scn_ui_wrap_count(text, r) == lines; r--)
        best = r;
    return best;
}

void scn_ui_fit(const char *text, int cols, char *out, size_t cap)
{
    size_t i = 0;
    int used = 0;
    while (text[i] != 0) {
        size_t n = 1;
        while ((((unsigned char)text[i + n]) & 0xc0) == 0x80)
            n++;
        bool is_last_fit = used + 1 == cols && text[i + n] != 0;
        if (used == cols || is_last_fit || i + n + 4 > cap)
            break;
        used++;
        i += n;
    }
    memcpy(out, text, i);
    out[i] = 0;
    if (text[i] != 0 && i + 4 <= cap)
        memcpy(out + i, "…", 4); /* 3 bytes and the NUL */
}

void scn_ui_print(const struct scn_ui *ui, enum scn_ui_tone tone, const char *lead,
                  const char *text)
{
    if (ui->is_quiet)
        return;
    const char *on = ui->has_color ? tone_codes[tone] : "";
    const char *off = ui->has_color && on[0] != 0 ? "\033[0m" : "";
    int indent = columns(lead, strlen(lead));
    int room = ui->width - indent > 30 ? ui->width - indent : 30;
    const char *s = text;
    bool is_first = true;
    do {
        size_t take = scn_ui_line_bytes(s, room);
        fprintf(ui->out, "%*s%s%s%.*s%s\n", is_first ? 0 : indent, "", is_first ? lead : "", on,
                (int)take, s, off);
        s += take;
        while (*s == ' ' || *s == '\n')
            s++;
        is_first = false;
    } while (*s != 0);
    fflush(ui->out);
}

void scn_ui_printf(const struct scn_ui *ui, enum scn_ui_tone tone, const char *lead,
                   const char *fmt, ...)
{
    char text[4096];
    va_list ap;
    if (ui->is_quiet)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    scn_ui_print(ui, tone, lead, text);
}

void scn_ui_error(const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* Problems often repeat what a lesson file or the user wrote: no raw
     * control byte of theirs reaches the terminal. */
    char shown[4 * sizeof text];
    utf8_escape_for_terminal(text, shown, sizeof shown);
    fflush(stdout); /* keep the order when both go to one terminal */
    fprintf(stderr, "scenario: %s\n", shown);
}

void scn_ui_blank(const struct scn_ui *ui)
{
    if (!ui->is_quiet) {
        fputc('\n', ui->out);
        fflush(ui->out);
    }
}
