#!/bin/sh
# /init of the integration test's initramfs: prove the kernel runs
# userspace on Xen, do some work with busybox, power off.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
hv=$(cat /sys/hypervisor/type 2>/dev/null)
echo "xenemu-test: hypervisor=$hv"
echo "xenemu-test: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpu(s)"
sum=$(seq 1 2000 | awk '{s += $1} END {print s}')
sorted=$(seq 1 500 | sort -rn | head -n 1)
digest=$(seq 1 1000 | md5sum | cut -d' ' -f1)
echo "xenemu-test: sum=$sum max=$sorted md5=$digest"
# CPU hotplug: the last CPU goes down (HLT with interrupts off) and comes
# back through INIT and STARTUP, then runs a task.
last=$(($(grep -c ^processor /proc/cpuinfo) - 1))
if [ "$last" -gt 0 ]; then
    echo 0 >/sys/devices/system/cpu/cpu$last/online && echo "xenemu-test: cpu$last offline"
    echo 1 >/sys/devices/system/cpu/cpu$last/online && echo "xenemu-test: cpu$last online"
    on=$(taskset -c $last sh -c 'seq 1 100 | md5sum | cut -c1-8')
    echo "xenemu-test: on cpu$last: $on"
fi
ls /proc/self/ >/dev/null && echo "xenemu-test: init done"
poweroff -f
