# bash completion for df2make (installed as
# $(datadir)/bash-completion/completions/df2make by make install).
# Options come from `df2make --help`, the stages of --target and
# --no-cache-filter from `df2make --call targets` on the Dockerfile the
# command line names (-f FILE, else CONTEXT/Dockerfile).

# The options that take no value (every other option takes one).
_df2make_novalue=" --no-cache --load --push --pull --plan --graph --check --help -h
 --version --squash --squash-all --layers -q --quiet "

# _df2make_stages CMD WORDS...: the stage names of the Dockerfile the words name.
_df2make_stages() {
	local cmd=$1 file= ctx= w i
	shift
	local -a words=()
	# "--file" "=" "x" (readline splits at '=') is "--file=x"
	for ((i = 1; i <= $#; i++)); do
		if [[ ${!i} == = && ${#words[@]} -gt 0 ]]; then
			w=$((i + 1))
			words[${#words[@]} - 1]+="=${!w-}"
			i=$w
		else
			words+=("${!i}")
		fi
	done
	for ((i = 0; i < ${#words[@]}; i++)); do
		w=${words[i]}
		case $w in
		-f | --file) file=${words[i + 1]-}; i=$((i + 1)) ;;
		--file=*) file=${w#--file=} ;;
		--*=*) ;;
		-*) [[ $_df2make_novalue == *" $w "* ]] || i=$((i + 1)) ;;
		*) ctx=$w ;;
		esac
	done
	[ -n "$file" ] || file=${ctx:-.}/Dockerfile
	[ -f "$file" ] || return 0
	"$cmd" --call targets -f "$file" "${ctx:-.}" 2>/dev/null |
		sed '1d; s/ (default)//; s/^\([^ ]*\).*/\1/' | grep -v '^(default)$\|^$'
}

_df2make() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev= cmd=${COMP_WORDS[0]} pre= vals=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# --opt=value as one word (bash splits at '=' with the default
	# COMP_WORDBREAKS: then prev is '=' and the option before it)
	if [[ $cur == --*=* ]]; then
		prev=${cur%%=*} pre=${cur%%=*}= cur=${cur#*=}
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == = ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 1]} cur=
	fi
	case $prev in
	--target | --no-cache-filter)
		vals=$(_df2make_stages "$cmd" "${COMP_WORDS[@]:1:COMP_CWORD-1}") ;;
	--network) vals="default none host" ;;
	--call) vals="build check outline targets" ;;
	--format) vals="docker oci" ;;
	--compress) vals="none gzip zstd" ;;
	--progress) vals="auto plain tty quiet none rawjson" ;;
	--allow) vals="network.host security.insecure device" ;;
	--layers) vals="true false" ;;
	-f | --file | --iidfile | --metadata-file | --dump-ast | -o | --output | --templates)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		COMPREPLY=("${COMPREPLY[@]/#/$pre}")
		return 0 ;;
	--state | --store)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		COMPREPLY=("${COMPREPLY[@]/#/$pre}")
		return 0 ;;
	-*) # the value of another option: nothing to guess (a tag, K=V, a size)
		if [[ $_df2make_novalue != *" $prev "* ]]; then
			COMPREPLY=()
			return 0
		fi ;;
	esac
	if [ -n "$vals" ] || [[ $prev == --target || $prev == --no-cache-filter ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$vals" -- "$cur")
		COMPREPLY=("${COMPREPLY[@]/#/$pre}")
		return 0
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$("$cmd" --help 2>/dev/null |
			grep -oE -- '(^| )--?[a-z][a-z-]*' | tr -d ' ' | sort -u)" -- "$cur")
		return 0
	fi
	mapfile -t COMPREPLY < <(compgen -d -- "$cur") # the CONTEXT
}
complete -F _df2make df2make
