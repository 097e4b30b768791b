#include "util/validate.h"
#include "util/caps.h"

#include <sys/stat.h>

static const char countries[] =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO "
    "BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ "
    "DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP "
    "GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG "
    "KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML "
    "MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE "
    "PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL "
    "SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM "
    "US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

static const char languages[] =
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu "
    "cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi "
    "ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks "
    "ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl "
    "nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl "
    "sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve "
    "vi vo wa wo xh yi yo za zh zu";

static bool in_list(const char *list, const char *s)
{
	if (strlen(s) != 2)
		return false;
	for (const char *p = list;; p += 3) {
		if (p[0] == s[0] && p[1] == s[1])
			return true;
		if (!p[2])
			return false;
	}
}

bool valid_country(const char *s)
{
	return in_list(countries, s);
}

bool valid_language(const char *s)
{
	return in_list(languages, s);
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Host name: labels of letters, digits and '-', not starting or ending with
 * '-', 1..63 bytes each; at least two labels; the last not all digits. */
static bool valid_hostname(const char *s, size_t n)
{
	size_t label = 0, labels = 0;
	bool last_digits = true;
	if (n == 0 || n > CAP_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '.';
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			labels++;
			if (i < n)
				last_digits = true;
			label = 0;
			continue;
		}
		if (!is_alnum(c) && c != '-')
			return false;
		if (label == 0 && c == '-')
			return false;
		if (!(c >= '0' && c <= '9'))
			last_digits = false;
		if (++label > CAP_LABEL_MAX)
			return false;
	}
	return labels >= 2 && !last_digits;
}

bool valid_email(const char *s)
{
	const char *at = strrchr(s, '@');
	size_t n = strlen(s);
	if (!at || at == s || n > 254 || (size_t)(at - s) > 64)
		return false;
	for (const char *p = s; p < at; p++) {
		char c = *p;
		if (is_alnum(c) || (c && strchr("!#$%&'*+/=?^_`{|}~-", c)))
			continue;
		if (c == '.' && p != s && p + 1 != at && p[1] != '.')
			continue;
		return false;
	}
	return valid_hostname(at + 1, strlen(at + 1));
}

bool valid_http_url(const char *s)
{
	const char *host;
	if (!strncmp(s, "http://", 7))
		host = s + 7;
	else if (!strncmp(s, "https://", 8))
		host = s + 8;
	else
		return false;
	if (strlen(s) > 2048 || !*host || *host == '/' || *host == ':')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return false;
	return true;
}

bool valid_phone(const char *s)
{
	int digits = 0;
	if (*s != '+')
		return false;
	for (const char *p = s + 1; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p != ' ' && *p != '-')
			return false;
	}
	return digits >= 7 && digits <= 15;
}

bool valid_pgp_fingerprint(const char *s)
{
	int hex = 0;
	for (const char *p = s; *p; p++) {
		if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
		    (*p >= 'A' && *p <= 'F'))
			hex++;
		else if (*p != ' ')
			return false;
	}
	return hex == 40 || hex == 64;
}

bool valid_time_zone(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || s[0] == '/' || strstr(s, ".."))
		return false;
	for (const char *p = s; *p; p++)
		if (!is_alnum(*p) && !strchr("/_-+", *p))
			return false;
	if (!strcmp(s, "UTC"))
		return true;
	/* The tz database names files; when it is installed it is the list. */
	struct stat st;
	if (stat("/usr/share/zoneinfo", &st) != 0)
		return strchr(s, '/') != NULL;
	char path[128];
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", s);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool valid_text(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}
