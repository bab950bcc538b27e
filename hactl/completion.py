"""``hactl completion bash``: a bash completion script made from hactl's own parser.

The script is generated, so a new command or option completes without anyone
remembering to edit it. ``--node`` and ``--group`` complete from the running
cluster: the script asks the hactl being completed for ``completion nodes|groups``
(honouring a ``--socket`` already typed) and offers nothing when no daemon answers.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from hacore.v1 import hacore_pb2 as pb

FILE_OPTIONS = ("--socket", "--cert", "--key", "--cacert")
NAME_OPTIONS = {"--node": "nodes", "--group": "groups"}


def names(status: pb.ClusterStatus, kind: str) -> list[str]:
    """What ``--node``/``--group`` accept: node names; group keys and their resources."""
    if kind == "nodes":
        return [node.name for node in status.nodes]
    every = (name for group in status.groups for name in (group.key, *group.resources))
    return list(dict.fromkeys(every))


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [s for action in parser._actions for s in action.option_strings if s.startswith("--")]


def _taking_values(parsers: Iterable[argparse.ArgumentParser]) -> list[str]:
    """Options whose next word is their value (``--watch`` only may take one)."""
    return sorted(
        {
            s
            for parser in parsers
            for action in parser._actions
            if action.option_strings and action.nargs not in (0, "?")
            for s in action.option_strings
        }
    )


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _words(sub: argparse.ArgumentParser) -> list[str]:
    """A command's options and the choices of its positional argument (scope, shell)."""
    positional = [
        str(choice)
        for action in sub._actions
        if not action.option_strings and action.choices is not None
        for choice in action.choices
    ]
    return [*positional, *_options(sub)]


def bash_script(parser: argparse.ArgumentParser) -> str:
    commands = _subcommands(parser)
    prog = parser.prog
    cases = "".join(
        f"        {name}) words={_quote(_words(sub))} ;;\n" for name, sub in commands.items()
    )
    top = _quote([*_options(parser), *commands])
    values = "|".join(_taking_values([parser, *commands.values()]))
    files = "|".join(FILE_OPTIONS)
    return f"""\
# bash completion for {prog}; install with:
#   {prog} completion bash > /etc/bash_completion.d/{prog}
# or, for this shell only:  source <({prog} completion bash)
_{prog}() {{
    local cur prev cmd="" i words
    local -a socket=()
    if declare -F _get_comp_words_by_ref >/dev/null; then
        _get_comp_words_by_ref -n : cur prev  # group keys contain "::"
    else
        cur="${{COMP_WORDS[COMP_CWORD]}}"
        prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    fi
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            --socket) socket=(--socket "${{COMP_WORDS[i+1]}}"); ((i++)) ;;
            {values}) ((i++)) ;;
            -*) ;;
            *) [[ -z $cmd ]] && cmd="${{COMP_WORDS[i]}}" ;;
        esac
    done
    case "$prev" in
        {files})
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --node|--group)
            local kind=nodes known
            [[ $prev == --group ]] && kind=groups
            known="$("${{COMP_WORDS[0]}}" "${{socket[@]}}" completion "$kind" 2>/dev/null)"
            COMPREPLY=($(compgen -W "$known" -- "$cur"))
            if declare -F __ltrim_colon_completions >/dev/null; then
                __ltrim_colon_completions "$cur"
            fi
            return ;;
        {values}) return ;;
    esac
    case "$cmd" in
        "") words={top} ;;
{cases}        *) words="" ;;
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -F _{prog} {prog}
"""


def _quote(words: Iterable[str]) -> str:
    return '"' + " ".join(words) + '"'
