# bash completion for pyautopsy(1): subcommands, their options, and the
# arguments they take (files, directories, pids). Keep in step with cli/main.cpp
# and cli/BatchCommand.cpp; tests/install checks every option is offered.

_pyautopsy()
{
    local cur prev words cword
    _init_completion || return

    local subcommand="" i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            core | pid | batch | run) subcommand=${words[i]}; break ;;
            --) return ;;
        esac
    done

    local batch_options="-j --jobs --timeout --json --markdown --junit --log --exit-zero -h --help"
    case $subcommand in
        "")
            COMPREPLY=($(compgen -W "core pid batch run --version -h --help" -- "$cur"))
            return ;;
        core)
            case $prev in
                --exe) _filedir; return ;;
                --sysroot) _filedir -d; return ;;
            esac
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "--exe --sysroot --json --stats --locals --native --no-source -h --help" -- "$cur"))
            else
                _filedir
            fi ;;
        pid)
            case $prev in
                --max-stop-ms) return ;;
            esac
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "--tree --nonblocking --max-stop-ms --json --stats --locals --native
                                         --no-source -h --help" -- "$cur"))
            else
                _pids
            fi ;;
        batch)
            case $prev in
                -j | --jobs | --timeout) return ;;
                --json | --markdown | --junit | --log) _filedir; return ;;
            esac
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$batch_options" -- "$cur"))
            else
                _filedir
            fi ;;
        run)
            # After `--` the words are the command's own: complete it as a command line.
            for ((i = 1; i < cword; i++)); do
                if [[ ${words[i]} == -- ]]; then
                    _command_offset $((i + 1))
                    return
                fi
            done
            case $prev in
                -j | --jobs | --timeout | --hang-timeout) return ;;
                --cores) _filedir -d; return ;;
                --json | --markdown | --junit | --log) _filedir; return ;;
            esac
            COMPREPLY=($(compgen -W "--cores --hang-timeout $batch_options --" -- "$cur")) ;;
    esac
} &&
    complete -F _pyautopsy pyautopsy
