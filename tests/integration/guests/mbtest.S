# A Multiboot v1 test kernel for wirebox's tests, assembled by the tests
# themselves (GNU as + ld, i386). Built as ELF32 (the default) or, with
# --defsym AOUT=1, as a flat binary loaded by the header's a.out kludge.
#
# It checks what the loader handed over and reports on COM1:
#   MB: hello from multiboot (elf|aout)
#   MB: loader=wirebox ...  MB: cmdline=...  MB: mem_lower=0x27f mem_upper=0x...
#   MB: mmap=0x...          MB: mods=N, then per module: MB: mod N 'STRING' size=0x... text=FIRST LINE
# and on the debug console (port 0xE9):
#   E9: hello from multiboot
# The kernel command line (-append) chooses what it does next:
#   echo   echo COM1 input back (upper-cased) until a '.' arrives
#   wait   halt with interrupts off, for the monitor (quit, system_reset)
#   exit=N end through isa-debug-exit at port 0xF4 with value N (decimal);
#          wirebox then exits with status (N << 1) | 1
# Without exit=N it halts forever.

        .set    MB_MAGIC, 0x1BADB002
.ifdef AOUT
        .set    MB_FLAGS, 0x00010003        # page-aligned modules, memory info, a.out kludge
.else
        .set    MB_FLAGS, 0x00000003
.endif
        .set    COM1, 0x3F8

        .text
        .code32
        .globl  _start
mb_header:
        .long   MB_MAGIC
        .long   MB_FLAGS
        .long   -(MB_MAGIC + MB_FLAGS)
.ifdef AOUT
        .long   mb_header                   # header_addr
        .long   mb_header                   # load_addr: the file's first byte
        .long   data_end                    # load_end_addr
        .long   bss_end                     # bss_end_addr
        .long   _start                      # entry_addr
.endif

_start:
        cli
        mov     $stack_top, %esp
        cmp     $0x2BADB002, %eax
        je      1f
        lea     msg_badmagic, %esi
        call    abs_puts
        mov     $3, %al
        out     %al, $0xF4
        jmp     halt_forever
1:      mov     %ebx, mbi

        lea     msg_hello, %esi
        call    puts
.ifdef AOUT
        lea     msg_aout, %esi
.else
        lea     msg_elf, %esi
.endif
        call    puts
        lea     msg_e9, %esi
        call    e9_puts

        mov     mbi, %ebx
        testl   $0x200, (%ebx)              # boot loader name
        jz      2f
        lea     msg_loader, %esi
        call    puts
        mov     64(%ebx), %esi
        call    abs_puts
        call    newline
2:      testl   $4, (%ebx)                  # command line
        jz      3f
        lea     msg_cmdline, %esi
        call    puts
        mov     16(%ebx), %esi
        call    abs_puts
        call    newline
3:      testl   $1, (%ebx)                  # memory
        jz      4f
        lea     msg_memlow, %esi
        call    puts
        mov     4(%ebx), %eax
        call    puthex
        lea     msg_memup, %esi
        call    puts
        mov     8(%ebx), %eax
        call    puthex
        call    newline
4:      testl   $0x40, (%ebx)               # memory map: count the RAM bytes above 1 MiB
        jz      5f
        lea     msg_mmap, %esi
        call    puts
        mov     44(%ebx), %eax              # length in bytes
        xor     %edx, %edx
        mov     $24, %ecx
        div     %ecx
        call    puthex
        call    newline
5:      testl   $8, (%ebx)                  # modules
        jz      9f
        lea     msg_mods, %esi
        call    puts
        mov     20(%ebx), %eax
        call    puthex
        call    newline
        mov     20(%ebx), %ecx
        mov     24(%ebx), %edi
        xor     %edx, %edx                  # module index
6:      test    %ecx, %ecx
        jz      9f
        push    %ecx
        lea     msg_mod, %esi
        call    puts
        mov     %edx, %eax
        call    puthex
        mov     $' ', %al
        call    putc
        mov     $'\'', %al
        call    putc
        mov     8(%edi), %esi               # its string
        call    abs_puts
        mov     $'\'', %al
        call    putc
        lea     msg_size, %esi
        call    puts
        mov     4(%edi), %eax
        sub     (%edi), %eax
        call    puthex
        lea     msg_text, %esi
        call    puts
        mov     (%edi), %esi                # its first line (at most 60 bytes)
        mov     4(%edi), %ecx
        sub     %esi, %ecx
        cmp     $60, %ecx
        jbe     7f
        mov     $60, %ecx
7:      test    %ecx, %ecx
        jz      8f
        mov     (%esi), %al
        cmp     $'\n', %al
        je      8f
        call    putc
        inc     %esi
        dec     %ecx
        jmp     7b
8:      call    newline
        add     $16, %edi
        inc     %edx
        pop     %ecx
        dec     %ecx
        jmp     6b

9:      # What the command line asks for.
        lea     word_echo, %esi
        call    find_arg
        test    %eax, %eax
        jz      10f
        call    echo_loop
10:     lea     word_wait, %esi
        call    find_arg
        test    %eax, %eax
        jz      11f
        lea     msg_waiting, %esi
        call    puts
        jmp     halt_forever
11:     lea     word_exit, %esi
        call    find_arg
        test    %eax, %eax
        jz      halt_forever
        mov     %eax, %esi                  # decimal digits after "exit="
        xor     %eax, %eax
12:     movzbl  (%esi), %ecx
        sub     $'0', %ecx
        cmp     $9, %ecx
        ja      13f
        imul    $10, %eax
        add     %ecx, %eax
        inc     %esi
        jmp     12b
13:     push    %eax
        lea     msg_exit, %esi
        call    puts
        mov     (%esp), %eax
        call    puthex
        call    newline
        pop     %eax
        mov     $0xF4, %dx
        out     %al, %dx                    # isa-debug-exit: wirebox ends here
        lea     msg_still, %esi
        call    puts
halt_forever:
        cli
        hlt
        jmp     halt_forever

# Echo: read COM1, write the byte back upper-cased, until '.'.
echo_loop:
        lea     msg_echo, %esi
        call    puts
1:      mov     $(COM1 + 5), %dx
        in      %dx, %al
        test    $1, %al
        jz      1b
        mov     $COM1, %dx
        in      %dx, %al
        cmp     $'.', %al
        je      2f
        cmp     $'a', %al
        jb      3f
        cmp     $'z', %al
        ja      3f
        sub     $32, %al
3:      call    putc
        jmp     1b
2:      call    newline
        lea     msg_echo_done, %esi
        call    puts
        ret

# find_arg: %esi = a word (NUL-terminated) in our data; returns in %eax the
# address right after its first occurrence in the command line, or 0.
find_arg:
        push    %ebx
        push    %ecx
        push    %edi
        mov     mbi, %ebx
        xor     %eax, %eax
        testl   $4, (%ebx)
        jz      4f
        mov     16(%ebx), %ebx              # the command line
1:      cmpb    $0, (%ebx)
        je      4f
        mov     %ebx, %edi
        mov     %esi, %ecx
2:      mov     (%ecx), %al
        test    %al, %al
        jz      3f                          # whole word matched
        cmp     (%edi), %al
        jne     5f
        inc     %ecx
        inc     %edi
        jmp     2b
3:      mov     %edi, %eax
        jmp     6f
5:      inc     %ebx
        jmp     1b
4:      xor     %eax, %eax
6:      pop     %edi
        pop     %ecx
        pop     %ebx
        ret

# putc: %al to COM1 (the UART sends at once: THR is always empty).
putc:
        push    %edx
        mov     $COM1, %dx
        out     %al, %dx
        pop     %edx
        ret

newline:
        push    %eax
        mov     $'\n', %al
        call    putc
        pop     %eax
        ret

# puts: %esi = a NUL-terminated string.
puts:
abs_puts:
        push    %eax
        push    %esi
1:      mov     (%esi), %al
        test    %al, %al
        jz      2f
        call    putc
        inc     %esi
        jmp     1b
2:      pop     %esi
        pop     %eax
        ret

# e9_puts: %esi to the debug console port 0xE9.
e9_puts:
        push    %eax
        push    %esi
1:      mov     (%esi), %al
        test    %al, %al
        jz      2f
        out     %al, $0xE9
        inc     %esi
        jmp     1b
2:      pop     %esi
        pop     %eax
        ret

# puthex: %eax as 0x followed by hex digits (no leading zeros).
puthex:
        push    %eax
        push    %ebx
        push    %ecx
        push    %edx
        mov     %eax, %edx
        mov     $'0', %al
        call    putc
        mov     $'x', %al
        call    putc
        mov     $8, %ecx
        xor     %ebx, %ebx                  # a digit printed yet
1:      rol     $4, %edx
        mov     %dl, %al
        and     $0xF, %al
        dec     %ecx
        jz      2f                          # the last digit always
        test    %al, %al
        jnz     2f
        test    %ebx, %ebx
        jz      1b
2:      mov     $1, %ebx
        cmp     $10, %al
        jb      3f
        add     $('a' - 10 - '0'), %al
3:      add     $'0', %al
        call    putc
        test    %ecx, %ecx
        jnz     1b
        pop     %edx
        pop     %ecx
        pop     %ebx
        pop     %eax
        ret

        .data
mbi:            .long 0
msg_badmagic:   .asciz "MB: bad magic in EAX\n"
msg_hello:      .asciz "MB: hello from multiboot "
msg_elf:        .asciz "(elf)\n"
msg_aout:       .asciz "(aout)\n"
msg_e9:         .asciz "E9: hello from multiboot\n"
msg_loader:     .asciz "MB: loader="
msg_cmdline:    .asciz "MB: cmdline="
msg_memlow:     .asciz "MB: mem_lower="
msg_memup:      .asciz " mem_upper="
msg_mmap:       .asciz "MB: mmap entries="
msg_mods:       .asciz "MB: mods="
msg_mod:        .asciz "MB: mod "
msg_size:       .asciz " size="
msg_text:       .asciz " text="
msg_echo:       .asciz "MB: echo ready\n"
msg_echo_done:  .asciz "MB: echo done\n"
msg_waiting:    .asciz "MB: waiting\n"
msg_exit:       .asciz "MB: exit "
msg_still:      .asciz "MB: still running after isa-debug-exit\n"
word_echo:      .asciz "echo"
word_wait:      .asciz "wait"
word_exit:      .asciz "exit="
data_end:

        .bss
        .balign 16
        .skip   4096
stack_top:
bss_end:
