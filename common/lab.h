/* lab.h — the layout of the lab directory (DESIGN section 1), in one place so
 * every program finds the same files. `rm -rf lab` resets the world. */
#ifndef OCSPLAB_LAB_H
#define OCSPLAB_LAB_H

#define LAB_DEFAULT_DIR "./lab"
#define LAB_DB_FILE "ca.db"
#define LAB_CA_DIR "ca"
#define LAB_ROOT_CERT "ca/root.pem"
#define LAB_ROOT_KEY "ca/root.key"
#define LAB_DELEGATE_CERT "ca/ocsp.pem"
#define LAB_DELEGATE_KEY "ca/ocsp.key"
#define LAB_REVLIST_FILE "ca/revlist.der" /* ca revlist: the pushed list stand-in */
#define LAB_CRL_FILE "ca/crl.der"         /* ca crl writes the CA's latest CRL here by default */
#define LAB_CERTS_DIR "certs"
#define LAB_STAPLES_DIR "staples"
#define LAB_CLOCK_FILE "clock"
#define LAB_TRACE_FILE "trace.jsonl"
#define LAB_CONTROL_TOKEN "control.token" /* the teacher's secret for the responder's faults */

/* Longest path the programs build from a lab directory and a name. */
#define LAB_PATH_MAX 4096

/* The scenario runner asks web servers for their /stats from this loopback
 * address, so its own handshakes can be told in the trace from the lab's
 * users (127.X.Y.Z, Y >= 1) and from tools such as openssl (127.0.0.1). */
#define LAB_RUNNER_ADDR "127.0.0.2"

#endif
