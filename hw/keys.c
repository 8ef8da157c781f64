/* The PC keyboard's keys: QEMU's names and the PS/2 scancodes. */
#include "hw/keys.h"

#include <string.h>

const KeyDef key_table[] = {
    [K_ESC] = {"esc", 0x01, 0x76},
    [K_1] = {"1", 0x02, 0x16},
    [K_2] = {"2", 0x03, 0x1E},
    [K_3] = {"3", 0x04, 0x26},
    [K_4] = {"4", 0x05, 0x25},
    [K_5] = {"5", 0x06, 0x2E},
    [K_6] = {"6", 0x07, 0x36},
    [K_7] = {"7", 0x08, 0x3D},
    [K_8] = {"8", 0x09, 0x3E},
    [K_9] = {"9", 0x0A, 0x46},
    [K_0] = {"0", 0x0B, 0x45},
    [K_MINUS] = {"minus", 0x0C, 0x4E},
    [K_EQUAL] = {"equal", 0x0D, 0x55},
    [K_BACKSPACE] = {"backspace", 0x0E, 0x66},
    [K_TAB] = {"tab", 0x0F, 0x0D},
    [K_Q] = {"q", 0x10, 0x15},
    [K_W] = {"w", 0x11, 0x1D},
    [K_E] = {"e", 0x12, 0x24},
    [K_R] = {"r", 0x13, 0x2D},
    [K_T] = {"t", 0x14, 0x2C},
    [K_Y] = {"y", 0x15, 0x35},
    [K_U] = {"u", 0x16, 0x3C},
    [K_I] = {"i", 0x17, 0x43},
    [K_O] = {"o", 0x18, 0x44},
    [K_P] = {"p", 0x19, 0x4D},
    [K_BRACKET_LEFT] = {"bracket_left", 0x1A, 0x54},
    [K_BRACKET_RIGHT] = {"bracket_right", 0x1B, 0x5B},
    [K_RET] = {"ret", 0x1C, 0x5A},
    [K_CTRL] = {"ctrl", 0x1D, 0x14},
    [K_A] = {"a", 0x1E, 0x1C},
    [K_S] = {"s", 0x1F, 0x1B},
    [K_D] = {"d", 0x20, 0x23},
    [K_F] = {"f", 0x21, 0x2B},
    [K_G] = {"g", 0x22, 0x34},
    [K_H] = {"h", 0x23, 0x33},
    [K_J] = {"j", 0x24, 0x3B},
    [K_K] = {"k", 0x25, 0x42},
    [K_L] = {"l", 0x26, 0x4B},
    [K_SEMICOLON] = {"semicolon", 0x27, 0x4C},
    [K_APOSTROPHE] = {"apostrophe", 0x28, 0x52},
    [K_GRAVE] = {"grave_accent", 0x29, 0x0E},
    [K_SHIFT] = {"shift", 0x2A, 0x12},
    [K_BACKSLASH] = {"backslash", 0x2B, 0x5D},
    [K_Z] = {"z", 0x2C, 0x1A},
    [K_X] = {"x", 0x2D, 0x22},
    [K_C] = {"c", 0x2E, 0x21},
    [K_V] = {"v", 0x2F, 0x2A},
    [K_B] = {"b", 0x30, 0x32},
    [K_N] = {"n", 0x31, 0x31},
    [K_M] = {"m", 0x32, 0x3A},
    [K_COMMA] = {"comma", 0x33, 0x41},
    [K_DOT] = {"dot", 0x34, 0x49},
    [K_SLASH] = {"slash", 0x35, 0x4A},
    [K_SHIFT_R] = {"shift_r", 0x36, 0x59},
    [K_KP_MULTIPLY] = {"kp_multiply", 0x37, 0x7C},
    [K_ALT] = {"alt", 0x38, 0x11},
    [K_SPC] = {"spc", 0x39, 0x29},
    [K_CAPS_LOCK] = {"caps_lock", 0x3A, 0x58},
    [K_F1] = {"f1", 0x3B, 0x05},
    [K_F2] = {"f2", 0x3C, 0x06},
    [K_F3] = {"f3", 0x3D, 0x04},
    [K_F4] = {"f4", 0x3E, 0x0C},
    [K_F5] = {"f5", 0x3F, 0x03},
    [K_F6] = {"f6", 0x40, 0x0B},
    [K_F7] = {"f7", 0x41, 0x83},
    [K_F8] = {"f8", 0x42, 0x0A},
    [K_F9] = {"f9", 0x43, 0x01},
    [K_F10] = {"f10", 0x44, 0x09},
    [K_NUM_LOCK] = {"num_lock", 0x45, 0x77},
    [K_SCROLL_LOCK] = {"scroll_lock", 0x46, 0x7E},
    [K_KP_7] = {"kp_7", 0x47, 0x6C},
    [K_KP_8] = {"kp_8", 0x48, 0x75},
    [K_KP_9] = {"kp_9", 0x49, 0x7D},
    [K_KP_SUBTRACT] = {"kp_subtract", 0x4A, 0x7B},
    [K_KP_4] = {"kp_4", 0x4B, 0x6B},
    [K_KP_5] = {"kp_5", 0x4C, 0x73},
    [K_KP_6] = {"kp_6", 0x4D, 0x74},
    [K_KP_ADD] = {"kp_add", 0x4E, 0x79},
    [K_KP_1] = {"kp_1", 0x4F, 0x69},
    [K_KP_2] = {"kp_2", 0x50, 0x72},
    [K_KP_3] = {"kp_3", 0x51, 0x7A},
    [K_KP_0] = {"kp_0", 0x52, 0x70},
    [K_KP_DECIMAL] = {"kp_decimal", 0x53, 0x71},
    [K_SYSRQ] = {"sysrq", 0x54, 0x84},
    [K_LESS] = {"less", 0x56, 0x61},
    [K_F11] = {"f11", 0x57, 0x78},
    [K_F12] = {"f12", 0x58, 0x07},
    [K_KP_ENTER] = {"kp_enter", 0xE01C, 0xE05A},
    [K_CTRL_R] = {"ctrl_r", 0xE01D, 0xE014},
    [K_KP_DIVIDE] = {"kp_divide", 0xE035, 0xE04A},
    [K_PRINT] = {"print", 0xE037, 0xE07C},
    [K_ALT_R] = {"alt_r", 0xE038, 0xE011},
    [K_HOME] = {"home", 0xE047, 0xE06C},
    [K_UP] = {"up", 0xE048, 0xE075},
    [K_PGUP] = {"pgup", 0xE049, 0xE07D},
    [K_LEFT] = {"left", 0xE04B, 0xE06B},
    [K_RIGHT] = {"right", 0xE04D, 0xE074},
    [K_END] = {"end", 0xE04F, 0xE069},
    [K_DOWN] = {"down", 0xE050, 0xE072},
    [K_PGDN] = {"pgdn", 0xE051, 0xE07A},
    [K_INSERT] = {"insert", 0xE052, 0xE070},
    [K_DELETE] = {"delete", 0xE053, 0xE071},
    [K_META_L] = {"meta_l", 0xE05B, 0xE01F},
    [K_META_R] = {"meta_r", 0xE05C, 0xE027},
    [K_MENU] = {"menu", 0xE05D, 0xE02F},
    [K_PAUSE] = {"pause", 0xE11D, KEY_SET2_PAUSE},
    [K_RO] = {"ro", 0x73, 0x51},
    [K_HIRAGANA] = {"hiragana", 0x70, 0x13},
    [K_HENKAN] = {"henkan", 0x79, 0x64},
    [K_MUHENKAN] = {"muhenkan", 0x7B, 0x67},
    [K_YEN] = {"yen", 0x7D, 0x6A},
    [K_POWER] = {"power", 0xE05E, 0xE037},
    [K_SLEEP] = {"sleep", 0xE05F, 0xE03F},
    [K_WAKE] = {"wake", 0xE063, 0xE05E},
    [K_AUDIOMUTE] = {"audiomute", 0xE020, 0xE023},
    [K_VOLUMEDOWN] = {"volumedown", 0xE02E, 0xE021},
    [K_VOLUMEUP] = {"volumeup", 0xE030, 0xE032},
};
const int key_count = K_COUNT;

static const struct {
    const char *alias;
    int key;
} aliases[] = {
    {"ctrl_l", K_CTRL}, {"alt_l", K_ALT}, {"shift_l", K_SHIFT}, {"altgr", K_ALT_R},
    {"altgr_r", K_ALT_R}, {"enter", K_RET}, {"return", K_RET}, {"space", K_SPC},
    {"kp_enter", K_KP_ENTER}, {"sys_rq", K_SYSRQ}, {"asterisk", K_KP_MULTIPLY},
};

int key_by_name(const char *name)
{
    for (int i = 0; i < K_COUNT; i++)
        if (!strcmp(key_table[i].name, name))
            return i;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcmp(aliases[i].alias, name))
            return aliases[i].key;
    return -1;
}

int key_by_set1(unsigned code)
{
    for (int i = 0; i < K_COUNT; i++)
        if (key_table[i].set1 == code)
            return i;
    return -1;
}

uint8_t key_translate_set2(uint8_t b)
{
    /* The 8042 maps each set-2 make code to the set-1 code of the same key;
     * the prefixes and the keyboard's replies pass unchanged. */
    for (int i = 0; i < K_COUNT; i++)
        if ((key_table[i].set2 & 0xFF) == b && (key_table[i].set2 >> 8) != 0xE1)
            return (uint8_t)key_table[i].set1;
    return b;
}
