/* report_page.c — the report's comparison table, read back for tests. */
#include "report_page.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

const char *report_page_cell(const char *page, const char *lab, const char *col)
{
    static char text[64];
    char row[300], key[64];
    snprintf(row, sizeof row, "<tr data-lab=\"%s\">", lab);
    snprintf(key, sizeof key, "data-col=\"%s\">", col);
    const char *r = strstr(page, row);
    ck_assert_msg(r != NULL, "the report has no row %s", lab);
    const char *c = strstr(r, key);
    ck_assert_msg(c != NULL && c < strstr(r, "</tr>"), "the report has no %s for %s", col, lab);
    size_t n = 0;
    for (c += strlen(key); *c != '<' && *c != 0 && n + 1 < sizeof text; c++)
        if (*c != ',')
            text[n++] = *c;
    text[n] = 0;
    return text;
}
