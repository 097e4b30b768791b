# bash completion for atalaya: commands, subcommands and options. The words come
# from the binary's own command table (`atalaya help --list [COMMAND]`), so they
# follow the installed version. Install as
# /usr/share/bash-completion/completions/atalaya (meson install does).
_atalaya()
{
	local cur prev cmd words
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	cmd=${COMP_WORDS[0]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$("$cmd" help --list 2>/dev/null) --help --version" -- "$cur"))
		return
	fi
	case $prev in
	--data | --token-file | --cacert | --tls-cert | --tls-key | --log-file)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	esac
	local sub=${COMP_WORDS[1]}
	[ "$sub" = help ] && sub=${COMP_WORDS[2]} && [ "$COMP_CWORD" -eq 2 ] && sub=
	words=$("$cmd" help --list $sub 2>/dev/null)
	if [[ $cur == -* ]]; then # options
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
	elif [ "$COMP_CWORD" -eq 2 ]; then # subcommands
		COMPREPLY=($(compgen -W "$(printf '%s\n' $words | grep -v '^-')" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -F _atalaya atalaya
