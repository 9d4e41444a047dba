#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""DDSY1352 meters served by pymodbus 3.0.0 (an independent Modbus implementation) over RTU.

usage: pymodbus_ddsy_meter.py DEVICE UNIT [UNIT...]
Each unit's live block 0x0200..0x022F holds known values (see values_for); every register
write is printed as "write UNIT ADDRESS v1,v2,..." so the test observes it in the datastore.
Prints "ready" once it serves.

pymodbus does the Modbus work: RTU framing and CRC (ModbusRtuFramer), request decoding
(ServerDecoder), execution against its datastore and reply encoding. The serial transport is a
plain file descriptor on the pty, because pymodbus.server needs pyserial, which Debian's
python3-pymodbus does not pull in.
"""
import os
import sys
import termios
import tty

from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                ModbusSlaveContext)
from pymodbus.exceptions import NoSuchSlaveException
from pymodbus.factory import ServerDecoder
from pymodbus.framer.rtu_framer import ModbusRtuFramer


def values_for(unit):
    regs = [0] * 0x300
    base = 0x200
    regs[base + 0x00] = 7                      # model code DDSY1352
    regs[base + 0x01] = 2200 + unit            # voltage A x0.1 V
    regs[base + 0x04] = 512 + unit             # current A x0.01 A
    regs[base + 0x0A] = 1100 + unit            # total power x0.001 kW
    energy = 1234567 + unit                    # x0.01 kWh
    regs[base + 0x15] = energy >> 16
    regs[base + 0x16] = energy & 0xFFFF
    balance = 98765 + unit                     # x0.01 currency
    regs[base + 0x1F] = balance >> 16
    regs[base + 0x20] = balance & 0xFFFF
    regs[base + 0x21] = 3                      # purchase count
    regs[base + 0x24] = 0x2000                 # relay L1 closed
    return regs


class LoggingBlock(ModbusSequentialDataBlock):
    def __init__(self, unit, values):
        super().__init__(0, values)
        self.unit = unit

    def setValues(self, address, values):  # noqa: N802 (pymodbus API)
        super().setValues(address, values)
        vals = values if isinstance(values, list) else [values]
        print(f"write {self.unit} {address} {','.join(str(v) for v in vals)}", flush=True)


def main():
    device = sys.argv[1]
    units = [int(u) for u in sys.argv[2:]]
    slaves = {u: ModbusSlaveContext(hr=LoggingBlock(u, values_for(u)), zero_mode=True)
              for u in units}
    context = ModbusServerContext(slaves=slaves, single=False)
    fd = os.open(device, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    attrs = termios.tcgetattr(fd)
    attrs[4] = attrs[5] = termios.B9600        # 8N1 at 9600 (a pty ignores the speed)
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
    framer = ModbusRtuFramer(ServerDecoder())

    def execute(request):
        if request.unit_id == 0:               # broadcast: apply everywhere, no reply
            for unit in units:
                request.execute(context[unit])
            return
        try:
            response = request.execute(context[request.unit_id])
        except NoSuchSlaveException:
            return                             # another meter's request: stay silent
        response.transaction_id = request.transaction_id
        response.unit_id = request.unit_id
        os.write(fd, framer.buildPacket(response))

    print("ready", flush=True)
    while True:
        data = os.read(fd, 512)
        if not data:
            return
        # units + [0]: broadcasts pass the framer's unit filter; execute() handles them.
        framer.processIncomingPacket(data, execute, units + [0], single=False)


main()
