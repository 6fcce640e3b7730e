/* platform_op hypercall (7) numbers (public/platform.h). Dom0 only: a
 * domU gets -EPERM; Linux's set_wallclock path names these. */
#ifndef XEN_ABI_PLATFORM_H
#define XEN_ABI_PLATFORM_H

#define XENPF_INTERFACE_VERSION 0x03000001u

#define XENPF_settime32         17
#define XENPF_add_memtype       31
#define XENPF_del_memtype       32
#define XENPF_read_memtype      33
#define XENPF_microcode_update  35
#define XENPF_platform_quirk    39
#define XENPF_efi_runtime_call  49
#define XENPF_firmware_info     50
#define XENPF_enter_acpi_sleep  51
#define XENPF_change_freq       52
#define XENPF_getidletime       53
#define XENPF_set_processor_pminfo 54
#define XENPF_get_cpuinfo       55
#define XENPF_cpu_online        56
#define XENPF_cpu_offline       57
#define XENPF_cpu_hotadd        58
#define XENPF_mem_hotadd        59
#define XENPF_settime64         62

#endif
