#!/bin/sh
# `make run`: initialise a node in DATA the first time, then serve it on
# LISTEN, printing what to call. Ctrl-C stops it cleanly.
set -eu
bin=$1 data=$2 listen=$3 dns=$4 zone=$5

if [ ! -f "$data/atalaya.db" ]; then
	"$bin" init --data "$data" --name "Demo CERT" --country UY
fi
token_file=$data/admin.token
cat <<MSG

atalaya is starting on http://$listen (data in $data)

  health:     curl http://$listen/api/v1/health
  API docs:   curl http://$listen/api/v1/openapi.json     (see also docs/api.md)
  as admin:   curl -H "Authorization: Bearer \$(cat $token_file)" http://$listen/api/v1/members
  CLI:        export ATALAYA_URL=http://$listen ATALAYA_TOKEN_FILE=$token_file
              $bin member add --name "CERT.br" --country BR --kind national-cert --role analyst
              $bin contacts list
              $bin constituency set --cidr 198.51.100.0/24
              $bin report submit examples/bundle.json --audience all   (a STIX 2.1 incident)
              $bin help    ($bin help COMMAND for one command)
  DNSBL:      dig @${dns%:*} -p ${dns##*:} 2.0.0.127.$zone A      (RFC 5782 test entry: 127.0.0.2)
              dig @${dns%:*} -p ${dns##*:} 2.0.0.127.$zone TXT
              $bin ingest-mail < examples/report.eml      (an ARF abuse report, as a mail pipe would)
              $bin dnsbl import examples/zone.ip4set     (an rbldnsd zone)
  web:        $bin user add --member 1 --email you@example.org --password-file FILE
              (prints the TOTP secret for your authenticator app), then open
              http://localhost:${listen##*:}/web   (six languages; see docs/internals/web.md)
  Tour:       README.md, "Five-minute tour" (the example files are in examples/)

Press Ctrl-C to stop.
MSG
exec "$bin" serve --data "$data" --listen "$listen" --dns "$dns" --dnsbl-zone "$zone"
