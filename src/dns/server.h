/* The DNS blocklist server (RFC 5782) for one zone, on UDP and TCP, on its own
 * threads. Three steps so that the daemon can bind port 53 as root, drop its
 * privileges, then start:
 *
 *   struct dnsbl_listen l;
 *   dnsbl_server_bind("127.0.0.1:8053", 2, &l, &d);   // as root if needed
 *   ... drop privileges ...
 *   dnsbl_server_start(&cfg, bl, &l, &srv, &d);       // takes the sockets
 *   ...
 *   dnsbl_server_stop(srv);                           // joins, closes, frees
 *
 * The answering logic is dnsbl_respond(), a pure function of the query and
 * the blocklist, also used by the fuzz target and the unit tests. */
#ifndef ATALAYA_DNS_SERVER_H
#define ATALAYA_DNS_SERVER_H

#include "dns/blocklist.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { DNSBL_UDP_SOCKETS_MAX = 16, DNSBL_TCP_QUERY_MAX = 4096 };

struct dnsbl_server_config {
	const char *zone;       /* "bl.example.org" (required) */
	const char *ns_host;    /* NS target and SOA MNAME; NULL: "ns.<zone>" */
	const char *hostmaster; /* SOA RNAME as a name; NULL: "hostmaster.<zone>" */
	const char *lookup_url; /* appended to TXT answers, "%s" replaced by the value
				 * (IP or domain), e.g. "https://node/lookup?ip=%s"; may be NULL */
	uint32_t ttl;           /* of A and TXT answers; 0 means 300 */
	uint32_t neg_ttl;       /* SOA minimum and TTL of negative answers; 0 means 300 */
	int tcp_idle_ms;        /* idle TCP connections are closed; 0 means 10000 */
	int tcp_max_conns;      /* 0 means 256 */
};

/* Answering state built from a config: the zone and names in wire form. */
struct dnsbl_responder;

/* Copies what it needs from cfg. Returns ERR_OK or ERR_INVALID (bad zone or
 * names) with d filled. Free with dnsbl_responder_free. */
int dnsbl_responder_new(const struct dnsbl_server_config *cfg, struct dnsbl *bl,
			struct dnsbl_responder **out, struct err_detail *d);
void dnsbl_responder_free(struct dnsbl_responder *r);

/* Answers one query of qlen bytes into out (outsz >= 512; over TCP give
 * 65535). Returns the response length, or 0 when nothing must be sent (not a
 * query). Over UDP (tcp false) the answer is cut to the requester's payload
 * size (512 without EDNS0, at most 1232) with TC set. Any thread, with its own
 * reader slot (rd may be NULL, see dnsbl_lookup_ip4). */
size_t dnsbl_respond(struct dnsbl_responder *r, struct dnsbl_reader *rd, const uint8_t *q,
		     size_t qlen, bool tcp, uint8_t *out, size_t outsz);

/* Bound sockets: `nudp` UDP sockets on the same address with SO_REUSEPORT
 * (one per UDP thread) and one listening TCP socket. */
struct dnsbl_listen {
	int udp_fd[DNSBL_UDP_SOCKETS_MAX];
	int nudp;
	int tcp_fd;
	uint16_t port; /* the bound port (useful with port 0) */
};

/* Binds "ADDR:PORT" ("127.0.0.1:8053", "[::1]:53", "0.0.0.0:53"). nudp is
 * 1..DNSBL_UDP_SOCKETS_MAX (2 is a good start on two cores). Returns ERR_OK
 * or ERR_INVALID (bad address) / ERR_IO (socket, bind) with d naming it. On
 * error nothing stays open. */
int dnsbl_server_bind(const char *addr, int nudp, struct dnsbl_listen *l, struct err_detail *d);
/* Closes sockets not handed to a server. */
void dnsbl_listen_close(struct dnsbl_listen *l);

struct dnsbl_server;

/* Starts one thread per UDP socket and one TCP thread. Takes ownership of the
 * sockets in l (also on error). bl must outlive the server. */
int dnsbl_server_start(const struct dnsbl_server_config *cfg, struct dnsbl *bl,
		       struct dnsbl_listen *l, struct dnsbl_server **out, struct err_detail *d);
/* Stops the threads (within ~300 ms), closes the sockets, frees. */
void dnsbl_server_stop(struct dnsbl_server *s);

/* Counters since start (relaxed reads; any thread). */
struct dnsbl_server_stats {
	uint64_t udp_queries, tcp_queries, truncated, dropped;
};
void dnsbl_server_stats(struct dnsbl_server *s, struct dnsbl_server_stats *st);

#endif
