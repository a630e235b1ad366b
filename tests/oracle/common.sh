# common.sh: helpers shared by the oracle test scripts (sourced, not run).

# git with no user or system configuration, whatever the caller's.
oracle_git_env() {
	ORACLE_TMP=$(mktemp -d "${TMPDIR:-/tmp}/packwin-oracle.XXXXXX")
	trap 'rm -rf "$ORACLE_TMP"' EXIT
	export HOME=$ORACLE_TMP/home GIT_CONFIG_NOSYSTEM=1 LC_ALL=C
	mkdir -p "$HOME"
	unset GIT_DIR GIT_WORK_TREE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES \
		GIT_CONFIG_PARAMETERS XDG_CONFIG_HOME || true
}

oracle_die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# The object format of a pack, from its name: pack-<40 hex> or pack-<64 hex>.
pack_format() {
	local base hex
	base=$(basename "$1")
	hex=${base#pack-}
	hex=${hex%.pack}
	hex=${hex%.idx}
	case ${#hex} in
	64) echo sha256 ;;
	*) echo sha1 ;;
	esac
}

# The object count in a pack's header (bytes 8-11, big-endian).
pack_count() {
	od -An -tu4 --endian=big -j 8 -N 4 "$(pack_path "$1")" | tr -d ' '
}

# Path of the .pack for a .pack or .idx argument.
pack_path() {
	case $1 in
	*.idx) echo "${1%.idx}.pack" ;;
	*) echo "$1" ;;
	esac
}

# An empty bare SHA-256 repository: git needs one around to read SHA-256 packs.
sha256_git_dir() {
	if [ ! -d "$ORACLE_TMP/empty256.git" ]; then
		git init -q --bare --object-format=sha256 "$ORACLE_TMP/empty256.git"
	fi
	echo "$ORACLE_TMP/empty256.git"
}

# Write $1 from stdin atomically (tests sharing an expected file run in parallel).
write_atomically() {
	local tmp
	tmp=$(mktemp "$1.XXXXXX")
	cat >"$tmp"
	mv -f "$tmp" "$1"
}
