/* Caps named once (curl's DYN_* block in lib/curlx/dynbuf.h): the limits that
 * more than one file checks. A cap that only one module checks stays in that
 * module's header. Each block says who added it; add a block of your own
 * rather than edit another's. Constants only: any thread. */
#ifndef ATALAYA_CAPS_H
#define ATALAYA_CAPS_H

/* ---- names and addresses (issue 13: the canonicaliser, dns/, spam/, formats/) */
#define CAP_DOMAIN_MAX 253 /* a domain name as text, without the trailing dot (RFC 1035) */
#define CAP_LABEL_MAX 63   /* one label of a domain name (RFC 1035) */
#define CAP_IP_TEXT_MAX 64 /* an address or a CIDR as text, with its NUL */
#define CAP_OBSERVABLE_INPUT_MAX 8192 /* raw text of one value handed to a normaliser */

#endif
