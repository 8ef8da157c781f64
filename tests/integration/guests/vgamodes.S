/* A 64 KiB real-mode ROM (run with -bios) that programs the VGA the way a
 * DOS program does, without a BIOS: mode 13h (assembled with
 * --defsym MODE13=1) or mode 12h, draws with the write modes the test
 * checks in a screendump, reports a read-mode-1 result and "VGA-DONE" on
 * COM1, and halts. tests/integration/test-vga-modes.sh assembles it with
 * GNU as and knows the picture it must give. */
    .code16
    .text
    .globl _start
_start:
start:
    cli
    xor %ax, %ax
    mov %ax, %ss
    mov $0x7000, %sp
    mov %cs, %ax
    mov %ax, %ds
    call set_mode
    call set_palette
    mov $0xA000, %ax
    mov %ax, %es
.ifdef MODE13
    call draw13
.else
    call draw12
.endif
    mov $msg_done, %si
    call puts
1:  hlt
    jmp 1b

/* ---- the registers, from the tables below */
set_mode:
    mov $0x3C2, %dx
    mov misc, %al
    out %al, %dx
    mov $0x3C4, %dx
    xor %bx, %bx
1:  mov %bl, %al
    mov seqr(%bx), %ah
    out %ax, %dx
    inc %bx
    cmp $5, %bx
    jb 1b
    mov $0x3D4, %dx
    mov $0x0E11, %ax            /* CRTC registers 0-7 writable */
    out %ax, %dx
    xor %bx, %bx
2:  mov %bl, %al
    mov crtc(%bx), %ah
    out %ax, %dx
    inc %bx
    cmp $25, %bx
    jb 2b
    mov $0x3CE, %dx
    xor %bx, %bx
3:  mov %bl, %al
    mov gfx(%bx), %ah
    out %ax, %dx
    inc %bx
    cmp $9, %bx
    jb 3b
    mov $0x3DA, %dx             /* attribute flip-flop to "index" */
    in %dx, %al
    mov $0x3C0, %dx
    xor %bx, %bx
4:  mov %bl, %al
    out %al, %dx
    mov attr(%bx), %al
    out %al, %dx
    inc %bx
    cmp $21, %bx
    jb 4b
    mov $0x20, %al              /* palette address source: display on */
    out %al, %dx
    ret

/* DAC entries 0-7: black, red, green, blue, white, yellow, purple, grey */
set_palette:
    mov $0x3C8, %dx
    xor %al, %al
    out %al, %dx
    inc %dx
    mov $dac, %si
    mov $24, %cx
1:  lodsb
    out %al, %dx
    loop 1b
    ret

.ifdef MODE13
/* Mode 13h: a 20x20 red square at (10,20), a green pixel at (100,100), a
 * blue line across y=150, a white 8-pixel run at (300,199). */
draw13:
    cld
    mov $20, %bx                /* y */
1:  mov %bx, %ax
    mov $320, %cx
    mul %cx
    add $10, %ax
    mov %ax, %di
    mov $20, %cx
    mov $1, %al
    rep stosb
    inc %bx
    cmp $40, %bx
    jb 1b
    movb $2, %es:(100 * 320 + 100)
    mov $150 * 320, %di
    mov $320, %cx
    mov $3, %al
    rep stosb
    mov $199 * 320 + 300, %di
    mov $8, %cx
    mov $4, %al
    rep stosb
    ret
.else
/* Mode 12h (80 bytes a line, 8 pixels a byte, four planes). */
draw12:
    mov $0x3CE, %dx
    /* write mode 2: pixel (8,10) in colour 4 under bit mask 0x80 */
    mov $0x0205, %ax
    out %ax, %dx
    mov $0x8008, %ax
    out %ax, %dx
    mov %es:(10 * 80 + 1), %al  /* load the latches */
    movb $4, %es:(10 * 80 + 1)
    /* write mode 0 with set/reset on all planes: line y=100 in colour 5 */
    mov $0x0005, %ax
    out %ax, %dx
    mov $0xFF08, %ax
    out %ax, %dx
    mov $0x0500, %ax
    out %ax, %dx
    mov $0x0F01, %ax
    out %ax, %dx
    mov $100 * 80, %di
    mov $80, %cx
    cld
    rep stosb
    mov $0x0001, %ax            /* set/reset off */
    out %ax, %dx
    /* write mode 3: colour 6 (set/reset) where the data byte 0xF0 has ones:
     * pixels 80-83 of line 200 */
    mov $0x0305, %ax
    out %ax, %dx
    mov $0x0600, %ax
    out %ax, %dx
    mov %es:(200 * 80 + 10), %al
    movb $0xF0, %es:(200 * 80 + 10)
    /* write mode 1: line 100's first byte copied through the latches to
     * pixels 40-47 of line 300 */
    mov $0x0105, %ax
    out %ax, %dx
    mov %es:(100 * 80), %al
    movb $0, %es:(300 * 80 + 5)
    /* read mode 1: where line 200's pixels 80-87 have colour 6 */
    mov $0x0805, %ax
    out %ax, %dx
    mov $0x0602, %ax
    out %ax, %dx
    mov $0x0F07, %ax
    out %ax, %dx
    mov %es:(200 * 80 + 10), %al
    mov %al, %bl
    mov $0x0005, %ax
    out %ax, %dx
    mov $msg_rm1, %si
    call puts
    mov %bl, %al
    call puthex
    mov $'\n', %al
    call putc
    ret
.endif

/* ---- COM1 */
putc:
    push %dx
    push %ax
    mov $0x3FD, %dx
1:  in %dx, %al
    test $0x20, %al
    jz 1b
    pop %ax
    mov $0x3F8, %dx
    out %al, %dx
    pop %dx
    ret

puts:
1:  lodsb
    test %al, %al
    jz 2f
    call putc
    jmp 1b
2:  ret

puthex:
    push %ax
    shr $4, %al
    call nibble
    pop %ax
nibble:
    and $0x0F, %al
    add $'0', %al
    cmp $'9', %al
    jbe 1f
    add $7, %al
1:  jmp putc

msg_done: .asciz "VGA-DONE\n"
msg_rm1:  .asciz "VGA-READMODE1="
dac:      .byte 0,0,0, 63,0,0, 0,63,0, 0,0,63, 63,63,63, 63,63,0, 32,0,32, 42,42,42

.ifdef MODE13
misc: .byte 0x63
seqr: .byte 0x03, 0x01, 0x0F, 0x00, 0x0E
crtc: .byte 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0x41, 0x00, 0x00, 0x00
      .byte 0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3, 0xFF
gfx:  .byte 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF
attr: .byte 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C
      .byte 0x0D, 0x0E, 0x0F, 0x41, 0x00, 0x0F, 0x00, 0x00
.else
misc: .byte 0xE3
seqr: .byte 0x03, 0x01, 0x0F, 0x00, 0x06
crtc: .byte 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0x0B, 0x3E, 0x00, 0x40, 0x00, 0x00, 0x00
      .byte 0x00, 0x00, 0x00, 0xEA, 0x8C, 0xDF, 0x28, 0x00, 0xE7, 0x04, 0xE3, 0xFF
gfx:  .byte 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0F, 0xFF
attr: .byte 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C
      .byte 0x0D, 0x0E, 0x0F, 0x01, 0x00, 0x0F, 0x00, 0x00
.endif

    .org 0xFFF0                 /* the reset vector, F000:FFF0 */
    ljmp $0xF000, $start
    .org 0x10000
