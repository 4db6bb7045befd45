/*
 * layout.c: per-kernel address-space ranges and the names of kernels and
 * architectures.
 *
 * The ranges of hw, nova, sel4 and okl4 are read from core's platform code.
 * Fiasco.OC takes its range from the kernel's KIP at boot; the values below
 * are what that kernel reports for user space on common configurations and
 * are marked as an inference in doc/layouts.md.
 */
#include <string.h>

#include "layout.h"

static const char *const kernel_names[] = { "hw", "nova", "sel4", "foc", "okl4", "linux" };
static const char *const arch_names[] = { "x86_64", "x86_32", "arm_v8a", "arm_v7a" };

const char *
rme_kernel_name(rme_kernel_t kernel)
{
	return (unsigned)kernel < sizeof(kernel_names) / sizeof(*kernel_names)
	       ? kernel_names[kernel] : "unknown";
}

const char *
rme_arch_name(rme_arch_t arch)
{
	return (unsigned)arch < sizeof(arch_names) / sizeof(*arch_names)
	       ? arch_names[arch] : "unknown";
}

int
rme_kernel_from_name(const char *name, rme_kernel_t *out)
{
	for (unsigned i = 0; i < sizeof(kernel_names) / sizeof(*kernel_names); i++) {
		if (strcmp(name, kernel_names[i]) == 0) {
			*out = (rme_kernel_t)i;
			return 0;
		}
	}
	return -1;
}

int
rme_arch_from_name(const char *name, rme_arch_t *out)
{
	for (unsigned i = 0; i < sizeof(arch_names) / sizeof(*arch_names); i++) {
		if (strcmp(name, arch_names[i]) == 0) {
			*out = (rme_arch_t)i;
			return 0;
		}
	}
	return -1;
}

static int
is_64bit(rme_arch_t arch)
{
	return arch == RME_ARCH_X86_64 || arch == RME_ARCH_ARM_V8A;
}

static int
is_x86(rme_arch_t arch)
{
	return arch == RME_ARCH_X86_64 || arch == RME_ARCH_X86_32;
}

int
layout_get(rme_kernel_t kernel, rme_arch_t arch, layout_t *out)
{
	int wide = is_64bit(arch);

	memset(out, 0, sizeof(*out));
	out->word_mask = wide ? UINT64_MAX : 0xffffffffu;

	switch (kernel) {
	case RME_KERNEL_HW:
		/* page 0 unused, the main thread's UTCB at 0x1000 (Hw::Mm::user()) */
		out->vm_start = 0x2000;
		out->vm_end = wide ? (uint64_t)1 << 38 : 0x80000000u;
		return 0;
	case RME_KERNEL_NOVA:
		if (!is_x86(arch))
			return -1;
		out->vm_start = 0x1000;
		out->vm_end = wide ? 0x7fffc0000000ull : 0xc0000000u;
		return 0;
	case RME_KERNEL_SEL4:
		/* the second page is the main thread's IPC buffer */
		out->vm_start = 0x2000;
		out->vm_end = wide ? (uint64_t)64 << 30 : (uint64_t)3 << 30;
		return 0;
	case RME_KERNEL_FOC:
		/* at least VCPU_VIRT_EXT_END; the end comes from the KIP (inference) */
		out->vm_start = 0x10000;
		out->vm_end = wide ? 0x800000000000ull : 0xc0000000u;
		return 0;
	case RME_KERNEL_OKL4:
		if (arch != RME_ARCH_X86_32)
			return -1;
		out->vm_start = 0x1000;
		out->vm_end = 0xc0000000u;
		return 0;
	case RME_KERNEL_LINUX:
		/*
		 * Core reports no range on base-linux: env is the process's own
		 * address space. We model the user half of x86_64 / AArch64.
		 */
		out->vm_start = 0x1000;
		out->vm_end = wide ? 0x800000000000ull : 0xc0000000u;
		return 0;
	}
	return -1;
}

uint64_t
layout_linker_area_size(unsigned release)
{
	if (release <= 2005)
		return 160u << 20;
	if (release <= 2411)
		return 256u << 20;   /* 31397d67ae */
	return 320u << 20;       /* a7422e316d, 25.02 to 26.02 */
}
