#!/usr/bin/env bash
# The docker/podman build flags as build.mk holds them (compile only, the
# stub store): unknown flags, bad values, each flag's mark on the specs and
# the rules it adds (docs/cli.md, "Flags of docker build and podman build").
. "$SRCDIR/tests/lib.sh"
mkdir -p "$T/ctx"
cat >"$T/ctx/Dockerfile" <<'DF'
FROM scratch AS base
COPY a /a
RUN one

FROM base AS mid
RUN --network=none two

FROM mid
RUN three
DF
echo a >"$T/ctx/a"
cd "$T" || exit 1
export DF2MAKE_STORE=$T/store
dm() { "$DF2MAKE" "$@" >"$T/out" 2>"$T/err"; rc=$?; }
# spec_of TEXT: the JSON spec of the build.mk recipe whose title has TEXT
spec_of() { grep -F " run " "$T/out" | grep -F "$1" | sed "s/.* run [0-9a-f]* '//; s/'\$//"; }
key_of() { grep -F " run " "$T/out" | grep -F "$1" | sed 's/.* run \([0-9a-f]*\) .*/\1/'; }

dm --no-such-flag ctx
is "$rc:$(wc -c <"$T/out")" "2:0" "an unknown flag exits 2, nothing on stdout"
like "$(head -1 "$T/err")" "unrecognized option '--no-such-flag'" "... and names the flag"
dm ctx --label
is "$rc" 2 "a flag without its value exits 2"
like "$(head -1 "$T/err")" "option '--label' requires an argument" "... naming the flag"

bad() { # DESC MESSAGE ARGS...: the compile fails with exactly MESSAGE
	local d=$1 m=$2
	shift 2
	dm "$@" ctx
	is "$rc:$(cat "$T/err")" "1:df2make: $m" "$d"
}
bad "--label without =" "--label: want KEY=VALUE, not 'x'" --label x
bad "--network bridge" "--network: want default, none or host, not 'bridge'" --network bridge
bad "--network host without the grant" \
	"--network host: network.host is not allowed (df2make --allow network.host grants it)" \
	--network host
bad "--add-host with a bad address" "--add-host db:300.1.1.1: invalid IP address '300.1.1.1'" \
	--add-host db:300.1.1.1
bad "--add-host without an address" "--add-host: want HOST:IP, not 'db'" --add-host db
dm --add-host $'evil\n1.1.1.1 injected:1.2.3.4' ctx
is "$rc:$(head -1 "$T/err")" "1:df2make: --add-host: want HOST:IP, not 'evil" "--add-host with a newline in HOST (another /etc/hosts line) is refused"
dm --add-host 'a b:1.2.3.4' ctx
is "$rc" 1 "--add-host with a blank in HOST is refused"
dm --iidfile $'id\nx' ctx
is "$rc:$(head -1 "$T/err")" "1:df2make: --iidfile: want a file name (without newlines), not 'id" "--iidfile with a newline is refused"
bad "--shm-size 0" "--shm-size: invalid size '0' (want e.g. 64m, 1g)" --shm-size 0
bad "--call nonsense" "--call: want build, check, outline or targets, not 'x'" --call x
bad "--format" "--format: want docker or oci, not 'v2s2'" --format v2s2
bad "--layers=maybe" "--layers: want true or false, not 'maybe'" --layers=maybe
bad "--annotation of an unknown type" \
	"--annotation: unknown type 'layer' (want manifest, manifest-descriptor, index or index-descriptor)" \
	--annotation layer:k=v
bad "--iidfile with -o type=local" \
	"--iidfile needs an image output (-o a tar or type=oci), not type=local" \
	--iidfile id.txt -o type=local,dest=out
bad "--load with -o type=local" \
	"--load needs an image output (-o a tar or type=oci), not type=local" \
	--load -o type=local,dest=out

dm ctx
plain=$(cat "$T/out")
is "$rc" 0 "the Dockerfile compiles without the flags"
like "$(spec_of 'RUN three')" '"network":"default"' "a RUN's network is default"
check "no extra_hosts, shm_size or nocache without the flags" \
	bash -c "! grep -qE 'extra_hosts|shm_size|nocache' '$T/out'"

dm --network none --add-host db:10.0.0.7 --add-host v6=[::1] --shm-size 128m ctx
s3=$(spec_of 'RUN three')
like "$s3" '"network":"none"' "--network none: a RUN without --network gets it"
like "$s3" '"extra_hosts":\["10.0.0.7\\tdb","::1\\tv6"\]' "--add-host: /etc/hosts lines of each RUN (HOST:IP, HOST=IP, [v6])"
like "$s3" '"shm_size":134217728' "--shm-size 128m: bytes"
check "keys change with them (each RUN runs again)" test "$(key_of 'RUN three')" != \
	"$(printf '%s\n' "$plain" | grep -F ' run ' | grep -F 'RUN three' | sed 's/.* run \([0-9a-f]*\) .*/\1/')"
dm --network host --allow network.host ctx
like "$(spec_of 'RUN three')" '"network":"host",.*"entitlements":\["network.host"\]' \
	"--network host with the grant: the spec says so and lists the grant"
like "$(spec_of 'RUN --network=none two')" '"network":"none"' "RUN --network=none keeps its own"

dm --no-cache ctx
nc1=$(cat "$T/out")
dm --no-cache ctx
n1=$(printf '%s\n' "$nc1" | grep -E ' (run|copy) ' | grep -cE '"nocache":"[0-9a-f]{16}"')
is "$n1" 4 "--no-cache: every step but FROM carries a nonce (COPY and 3 RUNs)"
check "... a new one at each compile: no key of an earlier build is reused" \
	test "$(printf '%s\n' "$nc1" | grep -F 'RUN three' | grep ' run ')" != "$(grep -F 'RUN three' "$T/out" | grep ' run ')"
mkdir -p "$T/cache"
dm --no-cache --cache-from type=local,src="$T/cache" ctx
like "$(grep '^export DF2MAKE_CACHE_FROM' "$T/out")" '^export DF2MAKE_CACHE_FROM := $' \
	"--no-cache: --cache-from sources are not used"
dm --no-cache-filter MID ctx
check "--no-cache-filter MID: the steps of stage mid (any case) get a nonce" \
	bash -c "spec=\$(grep -F 'RUN --network=none two' '$T/out'); [[ \$spec == *'\"nocache\":'* ]]"
check "... and not those of base" bash -c "! grep -F 'RUN one' '$T/out' | grep -q nocache"
check "... nor the unnamed last stage's own step (its key changes through its parent)" \
	bash -c "! grep -F 'RUN three' '$T/out' | grep -q nocache"
dm --no-cache-filter base,mid ctx
is "$(grep -E ' (run|copy) ' "$T/out" | grep -c '"nocache"')" 3 "--no-cache-filter base,mid: a comma list"
dm --layers=false ctx
is "$(grep -E ' (run|copy) ' "$T/out" | grep -c '"nocache"')" 4 "podman --layers=false: as --no-cache"
dm --layers ctx
is "$(grep -c '"nocache"' "$T/out")" 0 "podman --layers: the default"

dm --label org.x=1 --label empty= ctx
like "$(grep ' pack ' "$T/out")" '"Labels":\{"org.x":"1","empty":""\}' "--label: the pack spec's config"
dm --annotation k=v --annotation index:i=j --annotation manifest-descriptor:d=e ctx
like "$(grep ' pack ' "$T/out")" '"annotations":\{"manifest":\{"k":"v"\},"index":\{"i":"j"\},"manifest-descriptor":\{"d":"e"\}\}' \
	"--annotation: by type (manifest by default)"
dm --format docker ctx
like "$(grep ' pack ' "$T/out")" '"format":"docker"' "--format docker: in the pack spec"
dm --squash --compress gzip ctx
like "$(grep ' pack ' "$T/out")" '"squash":\{"mode":"new","compress":"gzip"\}' "--squash: in the pack spec, with the layers' compression"
dm --squash-all ctx
like "$(grep ' pack ' "$T/out")" '"squash":\{"mode":"all","compress":"none"\}' "--squash-all likewise"
bad "--build-context with a URL (not supported yet)" \
	"--build-context base=https://example.com/c.tar: only a directory, docker-image://REF or oci-layout://DIR is supported yet (not a URL)" \
	--build-context base=https://example.com/c.tar

dm --iidfile "$T/id file" --metadata-file meta.json --load ctx
like "$(cat "$T/out")" "all: $T/id\\\\ file" "--iidfile: a target made after the image"
like "$(grep -A1 "^$T/id\\\\ file:" "$T/out")" "metadata [0-9a-f]{32} '\\{\"title\":\"writing $T/id file\",\"loc\":\"\",\"iidfile\":\"$T/id file\"\\}'" \
	"... by the runtime's metadata step"
like "$(grep -A1 '^meta.json:' "$T/out")" '"metadata":"meta.json"' "--metadata-file: likewise"
like "$(grep -A2 '\.load: \$(OUTPUT)' "$T/out")" 'docker load -i "\$\$DF2MAKE_OUTPUT"' "--load: docker load of the image"
like "$(grep "^	@'" "$T/out" | head -1)" "'--iidfile=$T/id file' '--metadata-file=meta.json' '--load'" \
	"the remake rule replays them"

printf 'FROM scratch\nRUN --mount=type=secret,id=s,required=true x\n' >"$T/ctx/Dockerfile.c"
dm --call check -f ctx/Dockerfile.c ctx
out=$(cat "$T/out")
dm --check -f ctx/Dockerfile.c ctx
is "$out" "$(cat "$T/out")" "--call check prints what --check does"
# every long option --help lists is one the parser takes (and the reverse)
help=$("$DF2MAKE" --help)
for o in $(printf '%s\n' "$help" | grep -oE '^ +(-[a-z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
	"$DF2MAKE" "$o" >/dev/null 2>"$T/err" </dev/null
	grep -q "unrecognized option" "$T/err" && not_ok "--help lists $o, unknown to the parser"
done
ok "every option --help lists is known to the parser"
src_opts=$(grep -ohE '\{"[a-z-]+", (no|required|optional)_argument' "$SRCDIR/compiler/cli.c" "$SRCDIR/compiler/bflags.c" |
	sed 's/{"\([a-z-]*\)".*/--\1/' | sort -u)
missing=$(for o in $src_opts; do printf '%s\n' "$help" | grep -qE -- "$o([ =,]|\[|$)" || echo "$o"; done)
is "$missing" "" "--help lists every option the parser takes"
done_testing
