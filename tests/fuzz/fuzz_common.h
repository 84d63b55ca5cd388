/* Shared by the model-file harnesses: the input as a file, and the same bytes
 * with a correct checksum.
 *
 * A model file ends with a CRC-32 of everything before it, so almost every
 * mutation of a valid file is refused at the checksum and the loaders behind
 * it are never reached.  Each input is therefore tried twice: as it is (the
 * container's own checks, the checksum among them), and with its last four
 * bytes replaced by the right CRC, which takes it to the kind's loader. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

/* The bytes as an anonymous file: *fd and its /proc path, or -1. */
static int fuzz_file(const uint8_t *data, size_t size, char *path, size_t n)
{
    int fd = memfd_create("model", 0);
    if (fd < 0) return -1;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return -1;
    }
    snprintf(path, n, "/proc/self/fd/%d", fd);
    return fd;
}

/* A copy of data whose last 4 bytes are the CRC-32 of the rest (little-endian),
 * or NULL when too short or when the input already has it. */
static uint8_t *fuzz_fix_crc(const uint8_t *data, size_t size)
{
    if (size < 8) return NULL;
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), data, (uInt)(size - 4));
    uint8_t le[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24)};
    if (memcmp(data + size - 4, le, 4) == 0) return NULL;
    uint8_t *copy = malloc(size);
    if (!copy) return NULL;
    memcpy(copy, data, size - 4);
    memcpy(copy + size - 4, le, 4);
    return copy;
}

/* Deterministic inputs in [0, 1) for using a loaded model. */
static float fuzz_unit(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / 16777216.0f;
}

#endif
