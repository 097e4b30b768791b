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
#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { DNSBL_UDP_SOCKETS_MAX = 16, DNSBL_TCP_QUERY_MAX = 4096 };

enum { DNSBL_NS_MAX = 4 };

/* What the server answers with. Every name field may be NULL for its default;
 * the names are checked by dnsbl_responder_new / dnsbl_responder_reload. */
struct dnsbl_server_config {
	const char *zone;	/* "bl.example.org" (required) */
	const char *ns_host;	/* NS targets, comma or space separated (at most
				 * DNSBL_NS_MAX); NULL or "": "ns.<zone>" */
	const char *soa_mname;	/* SOA MNAME; NULL or "": the first NS */
	const char *hostmaster; /* SOA RNAME, as a name or as "user@domain";
				 * NULL or "": "hostmaster.<zone>" */
	const char *serial;	/* SOA serial policy: NULL, "" or "auto" (start time
				 * plus the number of commits), or a fixed number */
	const char *lookup_url; /* appended to TXT answers, "%s" replaced by the value
				 * (IP or domain), e.g. "https://node/lookup?ip=%s"; may be NULL */
	uint32_t ttl;		/* of A and TXT answers; 0 means 300 */
	uint32_t neg_ttl;	/* SOA minimum and TTL of negative answers; 0 means 300 */
	uint32_t ns_ttl;	/* of the apex NS and SOA records; 0 means 3600 */
	uint32_t soa_refresh;	/* 0 means 3600 */
	uint32_t soa_retry;	/* 0 means 600 */
	uint32_t soa_expire;	/* 0 means 604800 */
	int tcp_idle_ms;	/* a TCP connection without a complete query for this
				 * long is closed; 0 means 10000 */
	int tcp_max_conns;	/* 0 means 256 */
	int tcp_per_addr_max;	/* TCP connections held per client address; 0 means 16 */
};

/* Answering state built from a config: the zone and names in wire form. */
struct dnsbl_responder;

/* Copies what it needs from cfg. Returns ERR_OK or ERR_INVALID (bad zone or
 * names) with d filled. Free with dnsbl_responder_free. */
int dnsbl_responder_new(const struct dnsbl_server_config *cfg, struct dnsbl *bl,
			struct dnsbl_responder **out, struct err_detail *d);
void dnsbl_responder_free(struct dnsbl_responder *r);
/* Checks the zone, names and serial of cfg as dnsbl_responder_new would,
 * without building anything (for `atalaya config check`). ERR_OK or
 * ERR_INVALID with d naming the setting. */
int dnsbl_server_config_check(const struct dnsbl_server_config *cfg, struct err_detail *d);
/* Applies the answer settings of cfg (zone, names, TTLs, SOA fields, lookup
 * URL) to a live responder without stopping it: a query answered during the
 * call sees either the old settings or the new ones, never a mix. On error
 * (d names the setting) the old settings stay. Serialised internally; any
 * thread. The replaced settings are kept until dnsbl_responder_free (a few
 * hundred bytes per reload), so that no reader can see them freed. */
int dnsbl_responder_reload(struct dnsbl_responder *r, const struct dnsbl_server_config *cfg,
			   struct err_detail *d);

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
/* dnsbl_responder_reload on the server's responder, and the new TCP idle
 * time and per-address cap (tcp_max_conns is fixed at start). */
int dnsbl_server_reload(struct dnsbl_server *s, const struct dnsbl_server_config *cfg,
			struct err_detail *d);

/* Counters since start (relaxed reads; any thread). */
struct dnsbl_server_stats {
	uint64_t udp_queries, tcp_queries, truncated, dropped;
};
void dnsbl_server_stats(struct dnsbl_server *s, struct dnsbl_server_stats *st);

/* Appends the query counters in the Prometheus text format:
 * atalaya_dns_queries_total{transport,result}, atalaya_dns_query_types_total
 * {qtype}, atalaya_dns_truncated_total, atalaya_dns_tcp_connections (gauge)
 * and atalaya_dns_tcp_closed_total{reason}. Each thread counts in its own
 * cache line; this sums them (relaxed reads; any thread). */
void dnsbl_server_metrics(struct dnsbl_server *s, struct buf *out);

#endif
