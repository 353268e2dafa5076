/*
 * sw_hex: hexadecimal digits, for the parsers that meet them (chunk sizes,
 * percent-escapes, UUIDs). No state.
 */
#ifndef SW_HEX_H
#define SW_HEX_H

/* Returns the value of hex digit |c| (0..15, either case), or -1 when it is not one. */
int sw_hexval(char c);

#endif
