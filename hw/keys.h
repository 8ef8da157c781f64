/* The keys of a PC keyboard: QEMU's key names (its "qcodes", as sendkey
 * takes them) and the scancodes a PS/2 keyboard sends for them in sets 1
 * and 2 (IBM PS/2 Technical Reference; 0xE0xx: with the 0xE0 prefix). One
 * table: the keyboard (hw/i8042.c), sendkey (ui/console.c) and the window
 * (ui/sdl.c) all name keys through it. */
#pragma once
#include <stdint.h>

typedef struct KeyDef {
    const char *name; /* QEMU's name */
    uint16_t set1, set2;
} KeyDef;

/* Pause has no break code and sends a sequence of its own. */
#define KEY_SET2_PAUSE 0xE114

extern const KeyDef key_table[];
extern const int key_count;
/* The key called name (QEMU's names, and a few aliases QEMU accepts:
 * "ctrl_l", "alt_l", "shift_l", "enter", "return", "space", "altgr"), or -1. */
int key_by_name(const char *name);
/* The key whose set-1 code is code (0xE0xx for prefixed ones), or -1. */
int key_by_set1(unsigned code);
/* The 8042's translation of a set-2 byte into set 1 (without the 0xF0 break prefix). */
uint8_t key_translate_set2(uint8_t b);

/* Keys by index, for the front ends' tables. */
enum {
    K_ESC, K_1, K_2, K_3, K_4, K_5, K_6, K_7, K_8, K_9, K_0, K_MINUS, K_EQUAL, K_BACKSPACE,
    K_TAB, K_Q, K_W, K_E, K_R, K_T, K_Y, K_U, K_I, K_O, K_P, K_BRACKET_LEFT, K_BRACKET_RIGHT,
    K_RET, K_CTRL, K_A, K_S, K_D, K_F, K_G, K_H, K_J, K_K, K_L, K_SEMICOLON, K_APOSTROPHE,
    K_GRAVE, K_SHIFT, K_BACKSLASH, K_Z, K_X, K_C, K_V, K_B, K_N, K_M, K_COMMA, K_DOT, K_SLASH,
    K_SHIFT_R, K_KP_MULTIPLY, K_ALT, K_SPC, K_CAPS_LOCK, K_F1, K_F2, K_F3, K_F4, K_F5, K_F6,
    K_F7, K_F8, K_F9, K_F10, K_NUM_LOCK, K_SCROLL_LOCK, K_KP_7, K_KP_8, K_KP_9, K_KP_SUBTRACT,
    K_KP_4, K_KP_5, K_KP_6, K_KP_ADD, K_KP_1, K_KP_2, K_KP_3, K_KP_0, K_KP_DECIMAL, K_SYSRQ,
    K_LESS, K_F11, K_F12, K_KP_ENTER, K_CTRL_R, K_KP_DIVIDE, K_PRINT, K_ALT_R, K_HOME, K_UP,
    K_PGUP, K_LEFT, K_RIGHT, K_END, K_DOWN, K_PGDN, K_INSERT, K_DELETE, K_META_L, K_META_R,
    K_MENU, K_PAUSE, K_RO, K_HIRAGANA, K_HENKAN, K_MUHENKAN, K_YEN, K_POWER, K_SLEEP, K_WAKE,
    K_AUDIOMUTE, K_VOLUMEDOWN, K_VOLUMEUP,
    K_COUNT
};
