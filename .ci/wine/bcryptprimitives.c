/* Wine 8 (Debian 12's) lacks ProcessPrng, which Rust's std (1.78 and
 * later) loads from bcryptprimitives.dll for its random numbers: every
 * Rust program for Windows stops before main without it. This stand-in,
 * built by .ci/run with Debian's mingw into Wine's system32, answers it
 * with RtlGenRandom (advapi32's SystemFunction036), the generator std used
 * before. For testing under Wine only: Windows 10 and later have the real
 * one. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
