# Finds kernel problem reports in guest logs. Sourced by vm-run.sh and
# run-all.sh.

# Extended regular expression for the headline of a kernel report:
# WARN splats, BUG (including soft lockups), Oops, general protection
# faults, KASAN/UBSAN, panics and hung tasks.
VM_REPORT_RE='WARNING:|BUG:|kernel BUG at|Oops|general protection|KASAN|UBSAN|Kernel panic|INFO: task .* blocked for more than'

# Print the report headlines found in a dmesg dump (every line) and in a
# console log (only kernel lines, which carry a printk timestamp, so that
# a test printing such words itself is not mistaken for the kernel).
# Files that do not exist are skipped.
vm_kernel_reports() {
	local dmesg=$1 console=$2
	{
		[ -f "$dmesg" ] && grep -aE "$VM_REPORT_RE" "$dmesg"
		[ -f "$console" ] &&
			grep -aE '^\[ *[0-9]+\.[0-9]+\] ' "$console" |
			grep -aE "$VM_REPORT_RE"
	} | sed -E 's/^\[ *[0-9]+\.[0-9]+\] //' | tr -d '\r' | awk '!seen[$0]++'
}
