// memory hook bash|zsh|fish: prints shell code that records every interactive command.
//   eval "$(memory hook bash)"     (in ~/.bashrc)
//   eval "$(memory hook zsh)"      (in ~/.zshrc)
//   memory hook fish | source      (in ~/.config/fish/config.fish)
//
// The code calls the absolute path of this binary (so PATH changes do not matter) and keeps the
// --db / --config given to `memory hook`. Nothing runs in the foreground but a few shell
// builtins: the command is recorded by a disowned background `memory record` after it finishes.
#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/core.h"

namespace memory::cli {
namespace {

struct HookOptions {
  std::string shell;
  std::string db;      // --db as given on the command line ("" = not given)
  std::string config;  // --config as given
};

// bash: PS0 (expanded after a command line is read, before it runs) stamps the start time with
// arithmetic side effects, no fork. The first PROMPT_COMMAND entry reads $? and hands the raw
// history text to a background `memory record` (whose leading-space and ignore rules apply) when
// the line entered bash's history (HISTCMD moved), or when it was left out only as a repeat of
// the last entry (ignoredups/erasedups: repeats matter for learning). Lines bash leaves out for
// a leading space (ignorespace) or HISTIGNORE are not recorded.
constexpr const char* kBashHook = R"hook(# llmunix-memory hook for bash. Install with, in ~/.bashrc:
#   eval "$(@BIN_Q@ hook bash)"
# Records each interactive command (text, exit status, duration, cwd, session) with a background
# `memory record` after it finishes; the prompt does not wait. Commands that bash keeps out of its
# history for a leading space (HISTCONTROL=ignorespace) or HISTIGNORE, or that start with a space,
# are not recorded; repeats that ignoredups/erasedups keep out are. A line that only runs
# `memory run` is left to it (it records what it runs). Needs bash >= 4.4 (PS0).
if [[ $- == *i* && -z ${__memory_hook_bin-} ]] && ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 404)); then
  __memory_hook_bin=@BIN_Q@
  __memory_hook_args=(@ARGS@)
  printf -v MEMORY_SESSION '%08x%04x%04x%04x' "${EPOCHSECONDS:-0}" "$(($$ & 0xffff))" "$RANDOM" "$RANDOM"
  export MEMORY_SESSION
  __memory_hook_one=x
  __memory_hook_armed=
  __memory_hook_t0=0
  __memory_hook_histcmd=$HISTCMD
  __memory_hook_cwd=$PWD  # where the next command starts: the directory at its prompt

  # Runs in a background subshell: reads the raw command line back from history and records it.
  # $1 exit status, $2 duration (ms), $3 "1" when the line entered the history, $4 the line's $_.
  __memory_hook_record() {
    local HISTTIMEFORMAT= __memory_line
    __memory_line=$(builtin history 1) || return
    __memory_line=${__memory_line#"${__memory_line%%[![:space:]]*}"}
    __memory_line=${__memory_line#"${__memory_line%%[!0-9]*}"}
    __memory_line=${__memory_line#\*}
    __memory_line=${__memory_line#  }
    [[ $__memory_line == *[![:space:]]* ]] || return
    # Not added to the history: a repeat of the last entry (ignoredups, erasedups) is recorded
    # again; anything else (leading space, HISTIGNORE) is not. A repeat ends with the same
    # last word as the entry ($_). Only history text is ever recorded, never the hidden line.
    if [[ -z $3 ]]; then
      [[ -n $4 && ${__memory_line##*[[:space:]]} == "$4" ]] || return
    fi
    [[ $__memory_line == *eval*" hook bash"* ]] && return
    exec "$__memory_hook_bin" "${__memory_hook_args[@]}" record --from-hook --cmd="$__memory_line" \
      --exit="$1" --duration-ms="$2" --ts-us="$__memory_hook_t0" --cwd="$__memory_hook_cwd" \
      --session="$MEMORY_SESSION" --actor=human </dev/null >/dev/null 2>&1
  }

  __memory_hook_precmd() {
    local __memory_rc=$? __memory_last=$_ __memory_new=1
    [[ $HISTCMD == "$__memory_hook_histcmd" ]] && __memory_new=
    if [[ -n $__memory_hook_armed ]] && [[ -n $__memory_new || ${HISTCONTROL-} == *ignoredups* ||
          ${HISTCONTROL-} == *ignoreboth* || ${HISTCONTROL-} == *erasedups* ]]; then
      local __memory_us=$((${EPOCHREALTIME//[!0-9]/} - __memory_hook_t0)) __memory_ms
      ((__memory_us < 0)) && __memory_us=0
      printf -v __memory_ms '%d.%03d' "$((__memory_us / 1000))" "$((__memory_us % 1000))"
      (__memory_hook_record "$__memory_rc" "$__memory_ms" "$__memory_new" "$__memory_last" &) 2>/dev/null
    fi
    __memory_hook_armed=
    __memory_hook_histcmd=$HISTCMD
    __memory_hook_cwd=$PWD
    return $__memory_rc
  }

  PS0=${PS0-}'${__memory_hook_one:0:$((__memory_hook_t0=${EPOCHREALTIME//[!0-9]/}, __memory_hook_armed=1, 0))}'
  if [[ -v PROMPT_COMMAND && ${PROMPT_COMMAND@a} == *a* ]]; then
    PROMPT_COMMAND=(__memory_hook_precmd "${PROMPT_COMMAND[@]}")
  else
    PROMPT_COMMAND="__memory_hook_precmd${PROMPT_COMMAND:+$'\n'$PROMPT_COMMAND}"
  fi
fi
)hook";

// zsh: preexec receives the raw line as typed; precmd (put first, so $? is the command's)
// records it with a disowned background job (&!), which prints no job-control noise.
constexpr const char* kZshHook = R"hook(# llmunix-memory hook for zsh. Install with, in ~/.zshrc:
#   eval "$(@BIN_Q@ hook zsh)"
# Records each interactive command (text, exit status, duration, cwd, session) with a background
# `memory record` after it finishes; the prompt does not wait. Commands typed with a leading
# space are not recorded; a line that only runs `memory run` is left to it.
if [[ -o interactive && -z ${__memory_hook_bin-} ]]; then
  typeset -g __memory_hook_bin=@BIN_Q@
  typeset -ga __memory_hook_args
  __memory_hook_args=(@ARGS@)
  zmodload zsh/datetime 2>/dev/null
  export MEMORY_SESSION=$(printf '%08x%04x%04x%04x' "${EPOCHSECONDS:-0}" "$(($$ & 0xffff))" "$RANDOM" "$RANDOM")
  typeset -g __memory_hook_cmd= __memory_hook_t0= __memory_hook_armed= __memory_hook_cwd=

  __memory_hook_preexec() {
    __memory_hook_cmd=$1
    __memory_hook_t0=$EPOCHREALTIME
    __memory_hook_cwd=$PWD
    __memory_hook_armed=1
  }

  __memory_hook_precmd() {
    local __memory_rc=$?
    if [[ -n $__memory_hook_armed ]]; then
      __memory_hook_armed=
      local __memory_cmd=$__memory_hook_cmd __memory_ms __memory_frac
      local -i __memory_t0us __memory_us
      (( __memory_t0us = __memory_hook_t0 * 1000000 ))
      (( __memory_us = (EPOCHREALTIME - __memory_hook_t0) * 1000000 ))
      (( __memory_us < 0 )) && __memory_us=0
      __memory_frac=$(( __memory_us % 1000 ))
      __memory_ms=$(( __memory_us / 1000 )).${(l:3::0:)__memory_frac}
      if [[ $__memory_cmd == *[![:space:]]* && $__memory_cmd != *eval*" hook zsh"* ]]; then
        "$__memory_hook_bin" "${__memory_hook_args[@]}" record --from-hook --cmd="$__memory_cmd" \
          --exit="$__memory_rc" --duration-ms="$__memory_ms" --ts-us="$__memory_t0us" \
          --cwd="$__memory_hook_cwd" --session="$MEMORY_SESSION" --actor=human </dev/null >/dev/null 2>&1 &!
      fi
    fi
    return $__memory_rc
  }

  autoload -Uz add-zsh-hook
  add-zsh-hook preexec __memory_hook_preexec
  typeset -ga precmd_functions
  precmd_functions=(__memory_hook_precmd ${precmd_functions:#__memory_hook_precmd})
fi
)hook";

// fish: the fish_postexec event hands over the line as typed, with $status and $CMD_DURATION
// (milliseconds) still the command's; fish_preexec notes the directory it starts in. fish keeps
// no start time with more than seconds, so `record` takes now minus the duration. The record
// runs as a disowned background job, which fish does not report.
constexpr const char* kFishHook = R"hook(# llmunix-memory hook for fish. Install with, in ~/.config/fish/config.fish:
#   @BIN_Q@ hook fish | source
# Records each interactive command (text, exit status, duration, cwd, session) with a background
# `memory record` after it finishes; the prompt does not wait. Commands typed with a leading
# space are not recorded, nor `exit`, nor anything in private mode (fish --private); a line that
# only runs `memory run` is left to it. Needs fish >= 3.0.
if status is-interactive; and not set -q __memory_hook_bin
  set -g __memory_hook_bin @BIN_Q@
  set -g __memory_hook_args @ARGS@
  set -gx MEMORY_SESSION (printf '%08x%04x%04x%04x' (date +%s) (math "$fish_pid % 65536") (random 0 65535) (random 0 65535))
  set -g __memory_hook_cwd $PWD
  set -g __memory_hook_armed 0

  function __memory_hook_preexec --on-event fish_preexec
    set -g __memory_hook_cwd $PWD
    set -g __memory_hook_armed 1
  end

  function __memory_hook_postexec --on-event fish_postexec
    set -l __memory_rc $status
    test "$__memory_hook_armed" = 1; or return
    set -g __memory_hook_armed 0
    set -q fish_private_mode; and return  # fish --private: fish keeps no history, nor do we
    string match -qr '\S' -- $argv[1]; or return
    string match -q -- '* hook fish*' $argv[1]; and return
    string match -qr '^\s*exit(\s+\S+)?\s*$' -- $argv[1]; and return  # as in bash and zsh, which end first
    command $__memory_hook_bin $__memory_hook_args record --from-hook --cmd=$argv[1] \
      --exit=$__memory_rc --duration-ms=$CMD_DURATION --cwd=$__memory_hook_cwd \
      --session=$MEMORY_SESSION --actor=human </dev/null >/dev/null 2>&1 &
    disown 2>/dev/null
  end
end
)hook";

// Single-quotes `s` for bash and zsh.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// Single-quotes `s` for fish, where a backslash inside single quotes escapes '\\' and '\''.
std::string FishQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

void ReplaceAll(std::string* text, const std::string& from, const std::string& to) {
  for (size_t pos = text->find(from); pos != std::string::npos; pos = text->find(from, pos + to.size()))
    text->replace(pos, from.size(), to);
}

int RunHook(const HookOptions& o) {
  std::string code;
  if (o.shell == "bash") code = kBashHook;
  else if (o.shell == "zsh") code = kZshHook;
  else if (o.shell == "fish") code = kFishHook;
  else return Fail(Status::InvalidArgument("unknown shell '" + o.shell + "' (expected bash, zsh or fish)"));

  const auto quote = o.shell == "fish" ? FishQuote : ShellQuote;
  const std::string bin = FrontEndExecutable();  // the fast `memory`, not memory-core
  std::string args;
  if (!o.db.empty()) args += "--db " + quote(o.db);
  if (!o.config.empty()) args += std::string(args.empty() ? "" : " ") + "--config " + quote(o.config);
  ReplaceAll(&code, "@BIN_Q@", quote(bin));
  ReplaceAll(&code, "@ARGS@", args);
  std::fwrite(code.data(), 1, code.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

void SetupHook(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand(
      "hook", "Print shell code that records every interactive command: eval \"$(memory hook bash)\"");
  auto o = std::make_shared<HookOptions>();
  sub->add_option("shell", o->shell, "bash, zsh or fish")->required();
  sub->footer("Add to ~/.bashrc:  eval \"$(memory hook bash)\"\nAdd to ~/.zshrc:   eval \"$(memory hook zsh)\"\n"
              "Add to ~/.config/fish/config.fish:  memory hook fish | source");
  sub->callback([o, &g, action] {
    // Runs while parsing, before main fills in the default data directory: only an explicit
    // --db/--config is baked into the hook ($MEMORY_DB keeps working otherwise).
    o->db = g.db;
    o->config = g.config;
    *action = [o] { return RunHook(*o); };
  });
}

}  // namespace
MEMORY_REGISTER_COMMAND(15, "hook", SetupHook);
}  // namespace memory::cli
