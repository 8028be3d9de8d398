/* capture.h — `scenario run --capture FILE`: the run's loopback traffic
 * recorded by tcpdump (or Wireshark's dumpcap), so a class can open it in
 * Wireshark and see the staple on the wire (RFC 6066 section 8: status_request
 * in the ClientHello, the CertificateStatus message in TLS 1.2). The lab's
 * servers listen on random ports, so the capture also keeps which port is
 * which, for Wireshark's Decode As…. */
#ifndef OCSPLAB_SCENARIOS_CAPTURE_H
#define OCSPLAB_SCENARIOS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "errbuf.h"
#include "lab.h"
#include "parse.h"
#include "procs.h"

/* How long the tool may take to open the interface ("listening on lo"). */
#define SCN_CAPTURE_START_TIMEOUT_MS 5000
/* After SIGINT the tool writes its last packets and its count within this. */
#define SCN_CAPTURE_STOP_GRACE_MS 3000
/* Servers one capture keeps ports for: far more than all lessons together
 * start (a port beyond it is still captured, only not listed). */
#define SCN_CAPTURE_MAX_SERVERS 128

/* A server whose traffic the capture holds, and how to decode its port. */
struct scn_capture_server {
    char lab[LAB_PATH_MAX];  /* its lab directory */
    char stem[SCN_MAX_NAME]; /* the lab's name, e.g. 02-with-stapling */
    char name[SCN_MAX_NAME]; /* as the scenario calls it */
    char site[SCN_MAX_SITE]; /* a web server's site, "" for a responder */
    bool is_tls;             /* a web server (TLS), else a responder (HTTP) */
    int port;
};

struct scn_capture {
    bool is_started;         /* the tool ran (its count may be read) */
    char tool[16];           /* "tcpdump" or "dumpcap" */
    char file[LAB_PATH_MAX]; /* the capture file, as the user named it */
    /* The browsers' TLS secrets beside it (FILE.keys for FILE.pcap, NSS key
     * log format, mode 0600), so Wireshark decrypts TLS 1.3 and shows the
     * staple inside the Certificate message. */
    char keylog[LAB_PATH_MAX];
    char log_dir[LAB_PATH_MAX]; /* a private folder for the tool's messages */
    struct scn_child child;
    long long packets;        /* the tool's own count, -1 until known */
    char warning[ERRBUF_MAX]; /* why the count is missing, "" when all went well */
    size_t server_count;
    struct scn_capture_server servers[SCN_CAPTURE_MAX_SERVERS];
};

/* Where the key log of a capture `file` goes: its name with the extension
 * (if any) replaced by ".keys". Returns 0, or -1 when that is too long. */
int scn_capture_keylog_path(const char *file, char *out, size_t cap);

/* Finds tcpdump (else dumpcap) in PATH, starts it on lo writing `file`, and
 * waits at most SCN_CAPTURE_START_TIMEOUT_MS until it really captures.
 * Returns 0, or -1 with err set to what went wrong and what to do (install
 * the tool, give it capture rights); nothing is left running then. */
int scn_capture_start(struct scn_capture *c, const char *file, struct errbuf *err);

/* Notes a server's port (a restarted server keeps its port: noted once). */
void scn_capture_note_server(struct scn_capture *c, const char *lab, const char *stem,
                             const char *name, const char *site, bool is_tls, int port);

/* Stops the tool (SIGINT, a bounded wait, then SIGKILL), reads its packet
 * count and removes its private folder. Safe to call again, and on a capture
 * that never started. */
void scn_capture_stop(struct scn_capture *c);

/* Each lab's list of its servers' ports, for whoever opens the capture later. */
#define SCN_CAPTURE_PORTS_FILE "capture-ports.txt"

/* Writes LAB/SCN_CAPTURE_PORTS_FILE for every lab with a noted server.
 * Returns 0, or -1 with err set (the other labs are still written). */
int scn_capture_write_ports(const struct scn_capture *c, struct errbuf *err);

/* "capture: N packets in FILE", then per lab the ports to decode, for
 * Wireshark's Decode As… and as tshark options. */
void scn_capture_print_summary(const struct scn_capture *c, FILE *out);

#endif
