/* Realtek RTL8139C and RTL8139C+ (PCI 10EC:8139): register offsets, bits,
 * the C-mode receive header, the C+ descriptors, the dump-tally counters and
 * the 93C46 EEPROM layout, after the RTL8139C(L) and RTL8139C+ datasheets.
 * Shared by the model (hw/rtl8139.c) and its test (tests/unit/test_rtl8139.c). */
#pragma once

#define RTL_VENDOR 0x10EC
#define RTL_DEVICE 0x8139
#define RTL_REV_C 0x10     /* RTL8139C: Linux's 8139too */
#define RTL_REV_CPLUS 0x20 /* RTL8139C+: Linux's 8139cp (QEMU's only revision) */
#define RTL_REGS_SIZE 256  /* BAR0 (I/O) and BAR1 (memory) */

/* ---- Registers (byte offsets; width in the comment) */
#define RTL_IDR0 0x00    /* 6: station address */
#define RTL_MAR0 0x08    /* 8: multicast hash filter */
#define RTL_TSD0 0x10    /* 4 x 4: transmit status of descriptor 0-3 (C mode) */
#define RTL_TSAD0 0x20   /* 4 x 4: transmit start address of descriptor 0-3 (C mode) */
#define RTL_RBSTART 0x30 /* 4: receive ring start (C mode) */
#define RTL_ERBCR 0x34   /* 2: early receive byte count */
#define RTL_ERSR 0x36    /* 1: early receive status */
#define RTL_CR 0x37      /* 1: command */
#define RTL_CAPR 0x38    /* 2: current address of packet read (the driver's) */
#define RTL_CBR 0x3A     /* 2: current buffer address (the chip's) */
#define RTL_IMR 0x3C     /* 2: interrupt mask */
#define RTL_ISR 0x3E     /* 2: interrupt status (write 1 to clear) */
#define RTL_TCR 0x40     /* 4: transmit configuration */
#define RTL_RCR 0x44     /* 4: receive configuration */
#define RTL_TCTR 0x48    /* 4: timer count (PCI clock); a write restarts it from 0 */
#define RTL_MPC 0x4C     /* 4: missed packet counter (24 bits); a write clears it */
#define RTL_9346CR 0x50  /* 1: EEPROM control, configuration lock */
#define RTL_CONFIG0 0x51 /* 1 */
#define RTL_CONFIG1 0x52 /* 1 */
#define RTL_TIMERINT 0x54 /* 4: TimeOut interrupt when TCTR reaches it (0: never) */
#define RTL_MSR 0x58     /* 1: media status */
#define RTL_CONFIG3 0x59 /* 1 */
#define RTL_CONFIG4 0x5A /* 1 */
#define RTL_HLTCLK 0x5B  /* 1: 'R' runs, 'H' halts the clock (older chips; ignored) */
#define RTL_MULINT 0x5C  /* 2: multiple interrupt select */
#define RTL_RERID 0x5E   /* 1: PCI revision ID */
#define RTL_TSAD_ALL 0x60 /* 2: transmit status of all descriptors */
#define RTL_BMCR 0x62    /* 2: MII basic mode control */
#define RTL_BMSR 0x64    /* 2: MII basic mode status */
#define RTL_ANAR 0x66    /* 2: autonegotiation advertisement */
#define RTL_ANLPAR 0x68  /* 2: autonegotiation link partner ability */
#define RTL_ANER 0x6A    /* 2: autonegotiation expansion */
#define RTL_DIS 0x6C     /* 2: disconnect counter */
#define RTL_FCSC 0x6E    /* 2: false carrier sense counter */
#define RTL_NWAYTR 0x70  /* 2: N-way test */
#define RTL_REC 0x72     /* 2: RX_ER counter */
#define RTL_CSCR 0x74    /* 2: chip status and configuration */
#define RTL_PHY1_PARM 0x78 /* 4 */
#define RTL_TW_PARM 0x7C /* 4 */
#define RTL_PHY2_PARM 0x80 /* 1 */
#define RTL_WAKEUP_FIRST 0x84 /* 0x84-0xD7: wake-up CRCs, masks, flash: plain storage */
#define RTL_CONFIG5 0xD8 /* 1 */
/* C+ only (revision 0x20) */
#define RTL_DTCCR 0x10   /* 8: dump tally counter command (C+ transmit mode) */
#define RTL_TNPDS 0x20   /* 8: normal-priority transmit descriptors start (C+ transmit mode) */
#define RTL_THPDS 0x28   /* 8: high-priority transmit descriptors start (C+ transmit mode) */
#define RTL_TPPOLL 0xD9  /* 1: transmit priority polling */
#define RTL_CPCR 0xE0    /* 2: C+ command */
#define RTL_INTRMIT 0xE2 /* 2: interrupt mitigation */
#define RTL_RDSAR 0xE4   /* 8: receive descriptors start */
#define RTL_ETTHR 0xEC   /* 1: early transmit threshold */

/* CR */
#define CR_RST 0x10
#define CR_RE 0x08
#define CR_TE 0x04
#define CR_BUFE 0x01 /* read-only: receive ring empty */

/* ISR / IMR */
#define INT_SERR 0x8000    /* PCI system error (a DMA that did not reach RAM) */
#define INT_TIMEOUT 0x4000 /* TCTR reached TimerInt */
#define INT_LENCHG 0x2000  /* cable length change */
#define INT_SWINT 0x0100   /* C+: software interrupt (TPPoll.FSWInt) */
#define INT_TDU 0x0080     /* C+: transmit descriptor unavailable */
#define INT_FOVW 0x0040    /* receive FIFO overflow */
#define INT_LINKCHG 0x0020 /* packet underrun / link change */
#define INT_RXOVW 0x0010   /* C: receive ring overflow; C+: receive descriptor unavailable */
#define INT_TER 0x0008     /* transmit error */
#define INT_TOK 0x0004     /* transmit OK */
#define INT_RER 0x0002     /* receive error */
#define INT_ROK 0x0001     /* receive OK */
#define INT_MASK_C 0xE07Fu
#define INT_MASK_CPLUS 0xE1FFu

/* TSD0-3 */
#define TSD_CRS (1u << 31)
#define TSD_TABT (1u << 30)
#define TSD_OWC (1u << 29)
#define TSD_CDH (1u << 28)
#define TSD_ERTXTH_SHIFT 16 /* 6 bits: early transmit threshold, 32-byte units */
#define TSD_TOK (1u << 15)
#define TSD_TUN (1u << 14)
#define TSD_OWN (1u << 13) /* 1: the DMA of the buffer is done (the host owns it) */
#define TSD_SIZE 0x1FFFu
#define TSD_WMASK (0x3Fu << TSD_ERTXTH_SHIFT | TSD_OWN | TSD_SIZE)

/* TCR */
#define TCR_HWVERID_MASK 0x7CC00000u
#define TCR_HWVERID_C 0x74000000u     /* RTL8139C */
#define TCR_HWVERID_CPLUS 0x74800000u /* RTL8139C+ */
#define TCR_IFG_SHIFT 24
#define TCR_LBK 0x00060000u /* loopback test mode (any non-zero value) */
#define TCR_CRC 0x00010000u /* 1: no CRC appended */
#define TCR_MXDMA_SHIFT 8
#define TCR_TXRR_SHIFT 4
#define TCR_CLRABT 0x00000001u /* write-only: retransmit the aborted packet */
#define TCR_WMASK 0x030707F0u

/* RCR */
#define RCR_AAP 0x01 /* accept all packets with a physical destination */
#define RCR_APM 0x02 /* accept physical match */
#define RCR_AM 0x04  /* accept multicast (through MAR) */
#define RCR_AB 0x08  /* accept broadcast */
#define RCR_AR 0x10  /* accept runts */
#define RCR_AER 0x20 /* accept error packets */
#define RCR_WRAP 0x80 /* 1: a packet at the end of the ring runs on past it */
#define RCR_RBLEN_SHIFT 11 /* 2 bits: 8K << RBLEN (+16 bytes) */
#define RCR_WMASK 0x0F03FFBFu

/* The header in front of each packet in the C-mode receive ring: a 16-bit
 * status, then the 16-bit length of the packet with its CRC. Packets start
 * on 4-byte boundaries. */
#define RSR_ROK 0x0001
#define RSR_FAE 0x0002
#define RSR_CRC 0x0004
#define RSR_LONG 0x0008
#define RSR_RUNT 0x0010
#define RSR_ISE 0x0020
#define RSR_BAR 0x2000
#define RSR_PAM 0x4000
#define RSR_MAR 0x8000
#define RX_RING_PAD 16 /* CAPR runs 16 bytes behind the driver's read offset */

/* 9346CR */
#define EEM_MASK 0xC0
#define EEM_NORMAL 0x00
#define EEM_AUTOLOAD 0x40
#define EEM_PROGRAM 0x80
#define EEM_CONFIG 0xC0 /* writes to CONFIG0-4 and BMCR allowed */
#define EE_CS 0x08
#define EE_SK 0x04
#define EE_DI 0x02
#define EE_DO 0x01

/* MSR */
#define MSR_TXFCE 0x80
#define MSR_AUX 0x10
#define MSR_SPEED10 0x08
#define MSR_LINKB 0x04 /* 1: link failed */

/* BMCR / BMSR (MII) */
#define BMCR_RESET 0x8000
#define BMCR_SPD100 0x2000
#define BMCR_ANE 0x1000
#define BMCR_RESTART_AN 0x0200
#define BMCR_FDX 0x0100
#define BMCR_WMASK 0x3100
#define BMSR_CAPS 0x7809 /* 100BASE-TX/10BASE-T full and half, AN ability, extended */
#define BMSR_ANC 0x0020
#define BMSR_LINK 0x0004
#define ANAR_DEFAULT 0x01E1 /* 100/10 full/half, IEEE 802.3 */
#define ANLPAR_PARTNER 0x45E1 /* ack, pause, 100/10 full/half */

/* CSCR: the bits Linux's 8139too reads after a link change interrupt */
#define CSCR_LINK_OK 0x0400
#define CSCR_LINK_CHANGE 0x0800 /* latched; cleared when read */

/* C+: CPCR */
#define CPCR_TXENB 0x0001 /* C+ transmit mode (descriptor rings) */
#define CPCR_RXENB 0x0002 /* C+ receive mode */
#define CPCR_MULRW 0x0008
#define CPCR_DAC 0x0010
#define CPCR_RXCHKSUM 0x0020
#define CPCR_RXVLAN 0x0040
#define CPCR_WMASK 0x007B

/* C+: TPPoll */
#define TPPOLL_HPQ 0x80
#define TPPOLL_NPQ 0x40
#define TPPOLL_FSWINT 0x01

/* C+: DTCCR (low dword) */
#define DTCCR_CMD 0x08
#define DTCCR_ADDR_MASK (~0x3Full)

/* C+ descriptors: 16 bytes, opts1 (LE32), opts2 (LE32), buffer address (LE64).
 * A ring ends at the descriptor with EOR, and after 64 descriptors at most. */
#define CP_RING_MAX 64
#define CP_OWN (1u << 31)
#define CP_EOR (1u << 30)
#define CP_FS (1u << 29)
#define CP_LS (1u << 28)
/* transmit command */
#define CP_TX_LGSEN (1u << 27) /* large send (TCP segmentation) */
#define CP_TX_MSS_SHIFT 16     /* 11 bits, with LGSEN */
#define CP_TX_MSS_MASK 0x7FFu
#define CP_TX_IPCS (1u << 18)
#define CP_TX_UDPCS (1u << 17)
#define CP_TX_TCPCS (1u << 16)
#define CP_TX_LEN_MASK 0xFFFFu
#define CP_TX_TAGC (1u << 17) /* opts2: insert the VLAN tag of opts2 bits 15:0 */
/* transmit status (written back) */
#define CP_TX_UNF (1u << 25)
#define CP_TX_ES (1u << 23) /* error summary */
#define CP_TX_OWC (1u << 22)
#define CP_TX_LNKF (1u << 21)
#define CP_TX_EXC (1u << 20)
#define CP_TX_STATUS_MASK 0x0FFF0000u /* bits 27:16 turn into status */
/* receive command and status */
#define CP_RX_BUF_MASK 0x1FFFu /* command: buffer size; status: frame length with CRC */
#define CP_RX_FAE (1u << 27)
#define CP_RX_MAR (1u << 26)
#define CP_RX_PAM (1u << 25)
#define CP_RX_BAR (1u << 24)
#define CP_RX_BOVF (1u << 23)
#define CP_RX_FOVF (1u << 22)
#define CP_RX_RWT (1u << 21)
#define CP_RX_RES (1u << 20)
#define CP_RX_RUNT (1u << 19)
#define CP_RX_CRC (1u << 18)
#define CP_RX_PID_SHIFT 16 /* 2 bits: 0 not IP, 1 TCP/IP, 2 UDP/IP, 3 other IP */
#define CP_RX_PID_TCP 1u
#define CP_RX_PID_UDP 2u
#define CP_RX_PID_IP 3u
#define CP_RX_IPF (1u << 15)
#define CP_RX_UDPF (1u << 14)
#define CP_RX_TCPF (1u << 13)
#define CP_RX_TAVA (1u << 16) /* opts2: a VLAN tag was stripped into bits 15:0 */

/* C+: the 64 bytes the dump-tally command writes (little-endian) */
#define TALLY_TXOK 0      /* 8 */
#define TALLY_RXOK 8      /* 8 */
#define TALLY_TXERR 16    /* 8 */
#define TALLY_RXERR 24    /* 4 */
#define TALLY_MISSPKT 28  /* 2 */
#define TALLY_FAE 30      /* 2 */
#define TALLY_TX1COL 32   /* 4 */
#define TALLY_TXMCOL 36   /* 4 */
#define TALLY_RXOKPHY 40  /* 8 */
#define TALLY_RXOKBRD 48  /* 8 */
#define TALLY_RXOKMUL 56  /* 4 */
#define TALLY_TXABT 60    /* 2 */
#define TALLY_TXUNDRN 62  /* 2 */
#define TALLY_SIZE 64

/* 93C46 serial EEPROM: 64 16-bit words, 6 address bits */
#define EE_WORDS 64
#define EE_ADDR_BITS 6
#define EE_ID 0x8129 /* word 0 */
#define EE_MAC_WORD 7 /* words 7-9: the station address, low byte first */

/* Timing */
#define RTL_PCI_CLOCK_NS 30 /* TCTR counts the 33 MHz PCI clock */
#define RTL_BYTE_NS 80      /* 100 Mbit/s */
