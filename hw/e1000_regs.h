/* Intel 82540EM (e1000) register names and bits, from the 8254x Software
 * Developer's Manual: the model (hw/e1000.c) and its unit test both use
 * this one list. */
#pragma once

/* ---- Register offsets */
enum {
    CTRL = 0x0000, STATUS = 0x0008, EECD = 0x0010, EERD = 0x0014, CTRL_EXT = 0x0018,
    FLA = 0x001C, MDIC = 0x0020, FCAL = 0x0028, FCAH = 0x002C, FCT = 0x0030, VET = 0x0038,
    ICR = 0x00C0, ITR = 0x00C4, ICS = 0x00C8, IMS = 0x00D0, IMC = 0x00D8,
    RCTL = 0x0100, FCTTV = 0x0170, TXCW = 0x0178, RXCW = 0x0180,
    TCTL = 0x0400, TIPG = 0x0410, AIT = 0x0458, LEDCTL = 0x0E00, PBA = 0x1000,
    FCRTL = 0x2160, FCRTH = 0x2168,
    RDFH = 0x2410, RDFT = 0x2418, RDFHS = 0x2420, RDFTS = 0x2428, RDFPC = 0x2430,
    RDBAL = 0x2800, RDBAH = 0x2804, RDLEN = 0x2808, RDH = 0x2810, RDT = 0x2818,
    RDTR = 0x2820, RXDCTL = 0x2828, RADV = 0x282C, RSRPD = 0x2C00, TXDMAC = 0x3000,
    TDFH = 0x3410, TDFT = 0x3418, TDFHS = 0x3420, TDFTS = 0x3428, TDFPC = 0x3430,
    TDBAL = 0x3800, TDBAH = 0x3804, TDLEN = 0x3808, TDH = 0x3810, TDT = 0x3818,
    TIDV = 0x3820, TXDCTL = 0x3828, TADV = 0x382C, TSPMT = 0x3830,
    /* statistics, 0x4000-0x40FC */
    CRCERRS = 0x4000, ALGNERRC = 0x4004, SYMERRS = 0x4008, RXERRC = 0x400C, MPC = 0x4010,
    SCC = 0x4014, ECOL = 0x4018, MCC = 0x401C, LATECOL = 0x4020, COLC = 0x4028, DC = 0x4030,
    TNCRS = 0x4034, SEC = 0x4038, CEXTERR = 0x403C, RLEC = 0x4040, XONRXC = 0x4048,
    XONTXC = 0x404C, XOFFRXC = 0x4050, XOFFTXC = 0x4054, FCRUC = 0x4058,
    PRC64 = 0x405C, PRC127 = 0x4060, PRC255 = 0x4064, PRC511 = 0x4068, PRC1023 = 0x406C,
    PRC1522 = 0x4070, GPRC = 0x4074, BPRC = 0x4078, MPRC = 0x407C, GPTC = 0x4080,
    GORCL = 0x4088, GORCH = 0x408C, GOTCL = 0x4090, GOTCH = 0x4094, RNBC = 0x40A0,
    RUC = 0x40A4, RFC = 0x40A8, ROC = 0x40AC, RJC = 0x40B0, MGTPRC = 0x40B4,
    MGTPDC = 0x40B8, MGTPTC = 0x40BC, TORL = 0x40C0, TORH = 0x40C4, TOTL = 0x40C8,
    TOTH = 0x40CC, TPR = 0x40D0, TPT = 0x40D4, PTC64 = 0x40D8, PTC127 = 0x40DC,
    PTC255 = 0x40E0, PTC511 = 0x40E4, PTC1023 = 0x40E8, PTC1522 = 0x40EC, MPTC = 0x40F0,
    BPTC = 0x40F4, TSCTC = 0x40F8, TSCTFC = 0x40FC,
    RXCSUM = 0x5000, MTA = 0x5200, RA = 0x5400, VFTA = 0x5600,
    WUC = 0x5800, WUFC = 0x5808, WUS = 0x5810, MANC = 0x5820, IPAV = 0x5838,
    IP4AT = 0x5840, IP6AT = 0x5880, WUPL = 0x5900, WUPM = 0x5A00, FFLT = 0x5F00,
    FFMT = 0x9000, FFVT = 0x9800,
    REG_END = 0x9C00,
};
#define NREGS (REG_END >> 2)

/* CTRL */
#define CTRL_FD (1u << 0)
#define CTRL_ASDE (1u << 5)
#define CTRL_SLU (1u << 6)
#define CTRL_SPD_1000 (2u << 8)
#define CTRL_EN_PHY_PWR_MGMT (1u << 21)
#define CTRL_RST (1u << 26)
#define CTRL_VME (1u << 30)
#define CTRL_PHY_RST (1u << 31)
/* STATUS */
#define STATUS_FD (1u << 0)
#define STATUS_LU (1u << 1)
#define STATUS_SPEED_1000 (2u << 6)
#define STATUS_ASDV_1000 (2u << 8)
/* EECD */
#define EECD_SK (1u << 0)
#define EECD_CS (1u << 1)
#define EECD_DI (1u << 2)
#define EECD_DO (1u << 3)
#define EECD_FWE_DIS (1u << 4)
#define EECD_REQ (1u << 6)
#define EECD_GNT (1u << 7)
#define EECD_PRES (1u << 8)
/* EERD (82540: start bit 0, done bit 4, address 15:8, data 31:16) */
#define EERD_START (1u << 0)
#define EERD_DONE (1u << 4)
/* CTRL_EXT */
#define CTRL_EXT_EE_RST (1u << 13)
/* MDIC */
#define MDIC_OP_WRITE (1u << 26)
#define MDIC_OP_READ (2u << 26)
#define MDIC_READY (1u << 28)
#define MDIC_INT_EN (1u << 29)
#define MDIC_ERROR (1u << 30)
/* interrupt causes */
#define ICR_TXDW (1u << 0)
#define ICR_TXQE (1u << 1)
#define ICR_LSC (1u << 2)
#define ICR_RXDMT0 (1u << 4)
#define ICR_RXO (1u << 6)
#define ICR_RXT0 (1u << 7)
#define ICR_MDAC (1u << 9)
#define ICR_MASK 0x0001FFFFu
/* RCTL */
#define RCTL_EN (1u << 1)
#define RCTL_SBP (1u << 2)
#define RCTL_UPE (1u << 3)
#define RCTL_MPE (1u << 4)
#define RCTL_LPE (1u << 5)
#define RCTL_LBM_SHIFT 6
#define RCTL_LBM_MAC (1u << RCTL_LBM_SHIFT) /* MAC loopback */
#define RCTL_RDMTS_SHIFT 8
#define RCTL_MO_SHIFT 12
#define RCTL_BAM (1u << 15)
#define RCTL_BSIZE_SHIFT 16
#define RCTL_VFE (1u << 18)
#define RCTL_CFIEN (1u << 19)
#define RCTL_CFI (1u << 20)
#define RCTL_BSEX (1u << 25)
#define RCTL_SECRC (1u << 26)
/* TCTL */
#define TCTL_EN (1u << 1)
#define TCTL_PSP (1u << 3)
/* RDTR */
#define RDTR_FPD (1u << 31)
/* RAH */
#define RAH_AV (1u << 31)
/* RXCSUM */
#define RXCSUM_IPOFL (1u << 8)
#define RXCSUM_TUOFL (1u << 9)

/* Receive descriptor status and errors */
#define RXD_DD 0x01
#define RXD_EOP 0x02
#define RXD_IXSM 0x04
#define RXD_VP 0x08
#define RXD_TCPCS 0x20
#define RXD_IPCS 0x40
#define RXE_TCPE 0x20
#define RXE_IPE 0x40
#define RXE_RXE 0x80

/* Transmit descriptor command byte (byte 11 of every descriptor type) */
#define TXC_EOP 0x01
#define TXC_IFCS 0x02
#define TXC_IC 0x04 /* legacy: insert checksum */
#define TXC_TSE 0x04 /* extended: TCP segmentation */
#define TXC_RS 0x08
#define TXC_DEXT 0x20
#define TXC_VLE 0x40
#define TXC_IDE 0x80
/* context descriptor TUCMD */
#define TUCMD_TCP 0x01
#define TUCMD_IP 0x02
/* data descriptor POPTS */
#define POPTS_IXSM 0x01
#define POPTS_TXSM 0x02
#define TXD_STAT_DD 0x01

/* PHY (M88E1011) registers */
enum {
    PHY_CTRL = 0, PHY_STATUS = 1, PHY_ID1 = 2, PHY_ID2 = 3, PHY_ANAR = 4, PHY_ANLPAR = 5,
    PHY_ANER = 6, PHY_NPTX = 7, PHY_LPNP = 8, PHY_1000T_CTRL = 9, PHY_1000T_STATUS = 10,
    PHY_EXT_STATUS = 15, M88_PSCR = 16, M88_PSSR = 17, M88_IER = 18, M88_ISR = 19,
    M88_EPSCR = 20, M88_RXERR = 21,
};
#define MII_CR_SPEED_1000 (1u << 6)
#define MII_CR_FULL_DUPLEX (1u << 8)
#define MII_CR_RESTART_AN (1u << 9)
#define MII_CR_POWER_DOWN (1u << 11)
#define MII_CR_AN_ENABLE (1u << 12)
#define MII_CR_LOOPBACK (1u << 14)
#define MII_CR_RESET (1u << 15)
#define MII_SR_LINK (1u << 2)
#define MII_SR_AN_COMPLETE (1u << 5)
#define PHY_ADDR 1

#define EE_WORDS 64
#define EE_ADDR_BITS 6
#define EE_CHECKSUM_WORD 0x3F
#define EE_SUM 0xBABA
