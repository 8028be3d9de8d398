/* report_privacy.c — which addresses the CA saw asking about which site:
 * without stapling, every visitor's; with it, only the web server's. */
#include "report_privacy.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRIVACY_MAX_SITES 16 /* sentences; a lab names a handful of sites */

/* One remembered pair, split back into its parts (copies: qsort moves it). */
struct pair {
    char address[64], site[128], requester[32];
    int64_t count;
};

static void split_pair(const char *key, int64_t count, struct pair *out)
{
    const char *site = strchr(key, SCN_REPORT_PAIR_SEP);
    const char *requester = site != NULL ? strchr(site + 1, SCN_REPORT_PAIR_SEP) : NULL;
    out->count = count;
    snprintf(out->address, sizeof out->address, "%.*s",
             (int)(site != NULL ? (size_t)(site - key) : strlen(key)), key);
    snprintf(out->site, sizeof out->site, "%.*s",
             site == NULL        ? 0
             : requester != NULL ? (int)(requester - site - 1)
                                 : (int)strlen(site + 1),
             site != NULL ? site + 1 : "");
    snprintf(out->requester, sizeof out->requester, "%s", requester != NULL ? requester + 1 : "");
}

/* The web server first, then browsers, then anyone else. */
static int requester_rank(const char *requester)
{
    return strcmp(requester, "webserver") == 0 ? 0 : strcmp(requester, "browser") == 0 ? 1 : 2;
}

/* 127.0.1.10 after 127.0.1.9: IPv4 addresses in numeric order. */
static int compare_addresses(const char *a, const char *b)
{
    struct in_addr x, y;
    if (inet_pton(AF_INET, a, &x) == 1 && inet_pton(AF_INET, b, &y) == 1) {
        uint32_t u = ntohl(x.s_addr), v = ntohl(y.s_addr);
        return u < v ? -1 : u > v;
    }
    return strcmp(a, b);
}

static int compare_pairs(const void *pa, const void *pb)
{
    const struct pair *a = pa, *b = pb;
    int c = strcmp(a->site, b->site);
    if (c == 0)
        c = requester_rank(a->requester) - requester_rank(b->requester);
    if (c == 0)
        c = compare_addresses(a->address, b->address);
    return c;
}

/* One sentence for a site, from its sorted rows [first, end). */
static void site_sentence(struct scn_html *h, const struct scn_report_lab *lab,
                          const struct pair *first, const struct pair *end)
{
    int64_t browsers = 0, servers = 0, others = 0;
    const char *server_address = "";
    for (const struct pair *p = first; p < end; p++) {
        int rank = requester_rank(p->requester);
        if (rank == 0 && servers++ == 0)
            server_address = p->address;
        browsers += rank == 1;
        others += rank == 2;
    }
    const char *at_least = lab->answers_unpaired > 0 ? "at least " : "";
    scn_html_raw(h, "<p class=\"learned\">");
    if (browsers > 0) {
        scn_html_raw(h, "<strong>");
        scn_html_textf(h, "The CA learned that %s%lld address%s visit%s %s", at_least,
                       (long long)browsers, browsers == 1 ? "" : "es", browsers == 1 ? "s" : "",
                       first->site);
        scn_html_raw(h, "</strong>: each browser asked about the site itself.");
        if (servers > 0)
            scn_html_textf(h, " It also answered the web server (%s).", server_address);
    } else if (servers > 0) {
        scn_html_raw(h, "<strong>");
        scn_html_textf(h, "The CA only saw the web server (%s)", server_address);
        scn_html_raw(h, "</strong>");
        scn_html_textf(h, ": it learned nothing about who visits %s.", first->site);
    }
    if (others > 0)
        scn_html_textf(h, " %lld other client%s asked about %s.", (long long)others,
                       others == 1 ? "" : "s", first->site);
    scn_html_raw(h, "</p>\n");
}

static void pair_table(struct scn_html *h, const struct scn_report_lab *lab,
                       const struct pair *pairs, size_t count)
{
    size_t shown = count < SCN_REPORT_PRIVACY_ROWS ? count : SCN_REPORT_PRIVACY_ROWS;
    scn_html_raw(h, "<table class=\"privacy\"><thead><tr><th>client address</th><th>site</th>"
                    "<th>requester</th><th>requests</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < shown; i++) {
        scn_html_raw(h, "<tr><td>");
        scn_html_text(h, pairs[i].address);
        scn_html_raw(h, "</td><td>");
        scn_html_text(h, pairs[i].site);
        scn_html_raw(h, "</td><td>");
        scn_html_text(h, pairs[i].requester);
        scn_html_rawf(h, "</td><td class=\"num\">%lld</td></tr>\n", (long long)pairs[i].count);
    }
    scn_html_raw(h, "</tbody></table>\n");
    if (count > shown || lab->answers_unpaired > 0) {
        scn_html_raw(h, "<p class=\"more\">");
        if (count > shown)
            scn_html_rawf(h, "… and %zu more address%s. ", count - shown,
                          count - shown == 1 ? "" : "es");
        if (lab->answers_unpaired > 0)
            scn_html_rawf(h,
                          "%lld answers beyond the first %d distinct address × site × requester "
                          "pairs were counted but not listed.",
                          (long long)lab->answers_unpaired, SCN_REPORT_MAX_PAIRS);
        scn_html_raw(h, "</p>\n");
    }
}

void scn_report_privacy(struct scn_html *h, const struct scn_report_lab *lab)
{
    const struct scn_countmap *map = &lab->pairs;
    scn_html_rawf(h, "<p class=\"dim\">The CA's responder answered %lld OCSP request%s.</p>\n",
                  (long long)lab->answers, lab->answers == 1 ? "" : "s");
    if (map->key_count == 0) {
        scn_html_raw(h, "<p class=\"learned\">The CA answered no one here: it learned "
                        "nothing.</p>\n");
        return;
    }
    struct pair *pairs = calloc(map->key_count, sizeof *pairs);
    if (pairs == NULL) {
        scn_html_raw(h, "<p class=\"warn\">Out of memory: the table is left out.</p>\n");
        return;
    }
    size_t count = 0;
    for (size_t i = 0; i < map->slot_count && count < map->key_count; i++)
        if (map->slots[i].key != NULL)
            split_pair(map->slots[i].key, map->slots[i].count, &pairs[count++]);
    qsort(pairs, count, sizeof *pairs, compare_pairs);
    size_t sites = 0;
    for (size_t i = 0; i < count && sites < PRIVACY_MAX_SITES;) {
        size_t end = i + 1;
        while (end < count && strcmp(pairs[end].site, pairs[i].site) == 0)
            end++;
        site_sentence(h, lab, &pairs[i], &pairs[end]);
        sites++;
        i = end;
    }
    pair_table(h, lab, pairs, count);
    free(pairs);
}
