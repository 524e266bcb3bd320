//! Debian 12's default start-up files (representative excerpts, comments and layout kept),
//! with a line appended the way an image build would.

use super::{one, parse, rendered};
use crate::{EntryPoint, StartupFile, readers};

/// `/etc/bash.bashrc`: interactive-only from its second command.
const ETC_BASH_BASHRC: &str = r#"# System-wide .bashrc file for interactive bash(1) shells.

# To enable the settings / commands in this file for login shells as well,
# this file has to be sourced in /etc/profile.

# If not running interactively, don't do anything
[ -z "$PS1" ] && return

# check the window size after each command and, if necessary,
# update the values of LINES and COLUMNS.
shopt -s checkwinsize

# set variable identifying the chroot you work in (used in the prompt below)
if [ -z "${debian_chroot:-}" ] && [ -r /etc/debian_chroot ]; then
    debian_chroot=$(cat /etc/debian_chroot)
fi

# set a fancy prompt (non-color, overwrite the one in /etc/profile)
# but only if not SUDOing and have SUDO_PS1 set; then assume smart user.
if ! [ -n "${SUDO_USER}" -a -n "${SUDO_PS1}" ]; then
  PS1='${debian_chroot:+($debian_chroot)}\u@\h:\w\$ '
fi

# Commented out, don't overwrite xterm -T "title" -n "icontitle" by default.
# If this is an xterm set the title to user@host:dir
#case "$TERM" in
#xterm*|rxvt*)
#    PROMPT_COMMAND='echo -ne "\033]0;${USER}@${HOSTNAME}: ${PWD}\007"'
#    ;;
#*)
#    ;;
#esac

# if the command-not-found package is installed, use it
if [ -x /usr/lib/command-not-found -o -x /usr/share/command-not-found/command-not-found ]; then
	function command_not_found_handle {
	        # check because c-n-f could've been removed in the meantime
                if [ -x /usr/lib/command-not-found ]; then
		   /usr/lib/command-not-found -- "$1"
                   return $?
                elif [ -x /usr/share/command-not-found/command-not-found ]; then
		   /usr/share/command-not-found/command-not-found -- "$1"
                   return $?
		else
		   printf "%s: command not found\n" "$1" >&2
		   return 127
		fi
	}
fi
export PIP_BREAK_SYSTEM_PACKAGES=1
"#;

/// `/etc/profile`.
const ETC_PROFILE: &str = r#"# /etc/profile: system-wide .profile file for the Bourne shell (sh(1))
# and Bourne compatible shells (bash(1), ksh(1), ash(1), ...).

if [ "$(id -u)" -eq 0 ]; then
  PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
else
  PATH="/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
fi
export PATH

if [ "${PS1-}" ]; then
  if [ "${BASH-}" ] && [ "$BASH" != "/bin/sh" ]; then
    # The file bash.bashrc already sets the default PS1.
    # PS1='\h:\w\$ '
    if [ -f /etc/bash.bashrc ]; then
      . /etc/bash.bashrc
    fi
  else
    if [ "$(id -u)" -eq 0 ]; then
      PS1='# '
    else
      PS1='$ '
    fi
  fi
fi

if [ -d /etc/profile.d ]; then
  for i in /etc/profile.d/*.sh; do
    if [ -r $i ]; then
      . $i
    fi
  done
  unset i
fi
export PIP_USER=1
"#;

/// The skel `~/.bashrc` that `useradd -m` copies: guarded.
const SKEL_BASHRC: &str = r#"# ~/.bashrc: executed by bash(1) for non-login shells.
# see /usr/share/doc/bash/examples/startup-files (in the package bash-doc)
# for examples

# If not running interactively, don't do anything
case $- in
    *i*) ;;
      *) return;;
esac

# don't put duplicate lines or lines starting with space in the history.
# See bash(1) for more options
HISTCONTROL=ignoreboth

# append to the history file, don't overwrite it
shopt -s histappend

# for setting history length see HISTSIZE and HISTFILESIZE in bash(1)
HISTSIZE=1000
HISTFILESIZE=2000

# check the window size after each command and, if necessary,
# update the values of LINES and COLUMNS.
shopt -s checkwinsize

# make less more friendly for non-text input files, see lesspipe(1)
#[ -x /usr/bin/lesspipe ] && eval "$(SHELL=/bin/sh lesspipe)"

# set variable identifying the chroot you work in (used in the prompt below)
if [ -z "${debian_chroot:-}" ] && [ -r /etc/debian_chroot ]; then
    debian_chroot=$(cat /etc/debian_chroot)
fi

# set a fancy prompt (non-color, unless we know we "want" color)
case "$TERM" in
    xterm-color|*-256color) color_prompt=yes;;
esac

if [ -n "$force_color_prompt" ]; then
    if [ -x /usr/bin/tput ] && tput setaf 1 >&/dev/null; then
	# We have color support; assume it's compliant with Ecma-48
	# (ISO/IEC-6429). (Lack of such support is extremely rare, and such
	# a case would tend to support setf rather than setaf.)
	color_prompt=yes
    else
	color_prompt=
    fi
fi

if [ "$color_prompt" = yes ]; then
    PS1='${debian_chroot:+($debian_chroot)}\[\033[01;32m\]\u@\h\[\033[00m\]:\[\033[01;34m\]\w\[\033[00m\]\$ '
else
    PS1='${debian_chroot:+($debian_chroot)}\u@\h:\w\$ '
fi
unset color_prompt force_color_prompt

# If this is an xterm set the title to user@host:dir
case "$TERM" in
xterm*|rxvt*)
    PS1="\[\e]0;${debian_chroot:+($debian_chroot)}\u@\h: \w\a\]$PS1"
    ;;
*)
    ;;
esac

# enable color support of ls and also add handy aliases
if [ -x /usr/bin/dircolors ]; then
    test -r ~/.dircolors && eval "$(dircolors -b ~/.dircolors)" || eval "$(dircolors -b)"
    alias ls='ls --color=auto'
    alias grep='grep --color=auto'
fi

# colored GCC warnings and errors
#export GCC_COLORS='error=01;31:warning=01;35:note=01;36:caret=01;32:locus=01:quote=01'

# Add an "alert" alias for long running commands.  Use like so:
#   sleep 10; alert
alias alert='notify-send --urgency=low -i "$([ $? = 0 ] && echo terminal || echo error)" "$(history|tail -n1|sed -e '\''s/^\s*//;s/[;&|]\s*alert$//'\'')"'

if [ -f ~/.bash_aliases ]; then
    . ~/.bash_aliases
fi

# enable programmable completion features (you don't need to enable
# this, if it's already enabled in /etc/bash.bashrc and /etc/profile
# sources /etc/bash.bashrc).
if ! shopt -oq posix; then
  if [ -f /usr/share/bash-completion/bash_completion ]; then
    . /usr/share/bash-completion/bash_completion
  elif [ -f /etc/bash_completion ]; then
    . /etc/bash_completion
  fi
fi
export PIP_USER=1
"#;

/// `/root/.bashrc` (base-files' `dot.bashrc`): no guard at all.
const ROOT_BASHRC: &str = r"# ~/.bashrc: executed by bash(1) for non-login shells.

# Note: PS1 and umask are already set in /etc/profile. You should not
# need this unless you want different defaults for root.
# PS1='${debian_chroot:+($debian_chroot)}\h:\w\$ '
# umask 022

# You may uncomment the following lines if you want `ls' to be colorized:
# export LS_OPTIONS='--color=auto'
# eval $(dircolors)
# alias ls='ls $LS_OPTIONS'
# alias ll='ls $LS_OPTIONS -l'
# alias l='ls $LS_OPTIONS -lA'
#
# Some more alias to avoid making mistakes:
# alias rm='rm -i'
# alias cp='cp -i'
# alias mv='mv -i'
export PIP_USER=1
";

/// The skel `~/.profile`.
const SKEL_PROFILE: &str = r#"# ~/.profile: executed by the command interpreter for login shells.
# This file is not read by bash(1), if ~/.bash_profile or ~/.bash_login
# exists.
# see /usr/share/doc/bash/examples/startup-files for examples.
# the files are located in the bash-doc package.

# the default umask is set in /etc/profile; for setting the umask
# for ssh logins, install and configure the libpam-umask package.
#umask 022

# if running bash
if [ -n "$BASH_VERSION" ]; then
    # include .bashrc if it exists
    if [ -f "$HOME/.bashrc" ]; then
	. "$HOME/.bashrc"
    fi
fi

# set PATH so it includes user's private bin if it exists
if [ -d "$HOME/bin" ] ; then
    PATH="$HOME/bin:$PATH"
fi

# set PATH so it includes user's private bin if it exists
if [ -d "$HOME/.local/bin" ] ; then
    PATH="$HOME/.local/bin:$PATH"
fi
export PYTHONUSERBASE=$HOME/.pyuser
"#;

/// `/root/.profile`.
const ROOT_PROFILE: &str = r#"# ~/.profile: executed by Bourne-compatible login shells.

if [ "$BASH" ]; then
  if [ -f ~/.bashrc ]; then
    . ~/.bashrc
  fi
fi

mesg n 2> /dev/null || true
export PIP_INDEX_URL="https://pypi.example/simple"
"#;

#[test]
fn etc_bash_bashrc() {
    let file = parse(ETC_BASH_BASHRC);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    assert_eq!(
        rendered(&file),
        [
            "debian_chroot=!$(cat /etc/debian_chroot) plain cond guard L15",
            // Single-quoted: no expansion.
            r"PS1='${debian_chroot:+($debian_chroot)}\u@\h:\w\$ ' plain cond guard L21",
            // The `return`s of command_not_found_handle are inside a function: no second guard,
            // and the appended line is not conditional.
            "PIP_BREAK_SYSTEM_PACKAGES='1' export guard L50",
        ]
    );
    // Only `bash -i` reads it anyway (§4 row `/etc/bash.bashrc`).
    let reach = readers(StartupFile::EtcBashBashrc, false, true);
    assert_eq!(reach, [EntryPoint::BashInteractive]);
}

#[test]
fn etc_profile() {
    let file = parse(ETC_PROFILE);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    assert_eq!(
        rendered(&file),
        [
            "PATH='/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' export cond L5",
            "PATH='/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games' export cond L7",
            "PS1='# ' plain cond L20",
            "PS1='$ ' plain cond L22",
            // The PS1 test has no `return`: not a guard.
            "PIP_USER='1' export L35",
        ]
    );
    assert_eq!(super::rendered_unsets(&file), ["unset i L33 cond"]);
    let path = &file.assignments[0];
    assert_eq!(path.export_line, Some(9));
}

#[test]
fn skel_bashrc_is_guarded() {
    let file = parse(SKEL_BASHRC);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    let pip = one(&file, "PIP_USER");
    assert_eq!(pip.line, 94);
    assert!(pip.after_interactive_guard);
    assert!(!pip.conditional);
    // Everything after the `case $- in` guard is guarded.
    assert!(file.assignments.iter().all(|a| a.after_interactive_guard));
    assert_eq!(
        file.assignments
            .iter()
            .filter(|a| !a.conditional)
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        ["HISTCONTROL", "HISTSIZE", "HISTFILESIZE", "PIP_USER"]
    );
    // The alias with `'\''` quoting does not swallow anything.
    assert!(file.assignments.iter().all(|a| a.name != "alert"));
    // §4 row `~/.bashrc`, user: below the guard, only `bash -i`.
    assert_eq!(
        readers(StartupFile::HomeBashrc, false, pip.after_interactive_guard),
        [EntryPoint::BashInteractive]
    );
}

#[test]
fn root_bashrc_has_no_guard() {
    let file = parse(ROOT_BASHRC);
    assert_eq!(rendered(&file), ["PIP_USER='1' export L19"]);
    // §4 row `~/.bashrc`, root: all of it reaches `bash -l` and `su -` (footnote 5).
    let reach = readers(StartupFile::HomeBashrc, true, false);
    assert!(reach.contains(&EntryPoint::BashLogin));
    assert!(reach.contains(&EntryPoint::SuLogin));
}

#[test]
fn ubuntu_style_root_bashrc_is_guarded() {
    let text = "# ~/.bashrc\n\n# If not running interactively, don't do anything\n\
                [ -z \"$PS1\" ] && return\n\nexport PIP_USER=1\n";
    let file = parse(text);
    assert!(one(&file, "PIP_USER").after_interactive_guard);
    assert_eq!(
        readers(StartupFile::HomeBashrc, true, true),
        [EntryPoint::BashInteractive]
    );
}

#[test]
fn profiles() {
    let file = parse(SKEL_PROFILE);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    assert_eq!(
        rendered(&file),
        [
            "PATH=?'$HOME/bin:$PATH' plain cond L21",
            // `$PATH` is known (uncertainly) from the line above.
            "PATH=?'$HOME/.local/bin:$HOME/bin:$PATH' plain cond L26",
            "PYTHONUSERBASE=?'$HOME/.pyuser' export L28",
        ]
    );

    let file = parse(ROOT_PROFILE);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    assert_eq!(
        rendered(&file),
        ["PIP_INDEX_URL='https://pypi.example/simple' export L10"]
    );
}

/// All the samples above, for the robustness tests.
pub(super) fn samples() -> String {
    [
        ETC_BASH_BASHRC,
        ETC_PROFILE,
        SKEL_BASHRC,
        ROOT_BASHRC,
        SKEL_PROFILE,
        ROOT_PROFILE,
    ]
    .concat()
}
