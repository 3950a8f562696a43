//+------------------------------------------------------------------+
//| IntentRing.mqh - the last intent ids and their results, in memory |
//| and in a file per account, so a re-sent id is never executed     |
//| twice - not after an EA or terminal restart either.               |
//+------------------------------------------------------------------+
#ifndef EXECUTOR_BRIDGE_INTENT_RING_MQH
#define EXECUTOR_BRIDGE_INTENT_RING_MQH

#include "MsgPack.mqh"

#define EB_RING_SIZE 4096
// the file, MQL5\Files\ExecutorBridge\intents-<login>.bin: records of a 4-byte little-endian length and a
// MessagePack [intent id, result field count (or EB_RING_STARTED), result body]
#define EB_RING_DIR "ExecutorBridge"
// a slot whose OrderSend was under way when the EA stopped: the outcome is unknown here
#define EB_RING_STARTED -1

struct EbIntentSlot
  {
   string            id;
   int               fields;      // result fields in `body`, or EB_RING_STARTED
   uchar             body[];
  };

class EbIntentRing
  {
public:
   EbIntentSlot      slots[];
   int               next;
   int               count;
   string            file;        // "" until the account is known
   int               records;     // records in the file (compacted when it holds twice the ring)

                     EbIntentRing(void)
     {
      next = 0;
      count = 0;
      file = "";
      records = 0;
      ArrayResize(slots, EB_RING_SIZE);
     }

   int               Find(const string intentId)
     {
      for(int i = 0; i < count; i++)
         if(slots[i].id == intentId)
            return i;
      return -1;
     }

   // the slot of `intentId` (its own, or the next one), filled with `fields` and body[0..len)
   int               Put(const string intentId, const int fields, const uchar &body[], const int len)
     {
      int slot = Find(intentId);
      if(slot < 0)
        {
         slot = next;
         next = (next + 1) % EB_RING_SIZE;
         if(count < EB_RING_SIZE)
            count++;
        }
      slots[slot].id = intentId;
      slots[slot].fields = fields;
      ArrayResize(slots[slot].body, len);
      if(len > 0)
         ArrayCopy(slots[slot].body, body, 0, 0, len);
      return slot;
     }

   // The ring survives a restart of the EA or the terminal: a file per account, read here, appended to before
   // and after every OrderSend. The host also finds executed intents by the `ix:` comment, but some brokers
   // rewrite comments; this file does not depend on them.
   void              Load(void)
     {
      // at terminal start OnInit may run before the account is logged in: then this runs again before connecting
      long login = AccountInfoInteger(ACCOUNT_LOGIN);
      if(login == 0)
         return;
      next = 0;
      count = 0;
      records = 0;
      file = EB_RING_DIR + "\\intents-" + IntegerToString(login) + ".bin";
      if(!FileIsExist(file))
         return;
      int h = FileOpen(file, FILE_READ | FILE_BIN | FILE_SHARE_READ);
      if(h == INVALID_HANDLE)
        {
         Print("ExecutorBridge: cannot read ", file, " (error ", GetLastError(), "): intents executed before this start are known by their comment only.");
         return;
        }
      uchar data[];
      int size = (int)FileSize(h);
      if(size > 0)
         FileReadArray(h, data, 0, size);
      FileClose(h);
      size = ArraySize(data);
      MpDoc rec;
      uchar rest[];
      int pos = 0;
      while(pos + 4 <= size)
        {
         uint ulen = (uint)data[pos] | ((uint)data[pos + 1] << 8) | ((uint)data[pos + 2] << 16) | ((uint)data[pos + 3] << 24);
         if(ulen == 0 || ulen > (uint)(size - pos - 4))
            break; // a record cut short by a crash: the ones before it stand
         int len = (int)ulen;
         ArrayResize(rest, len);
         ArrayCopy(rest, data, 0, pos + 4, len);
         pos += 4 + len;
         if(!rec.Parse(rest, len) || rec.Kind(0) != MP_ARRAY || rec.Len(0) != 3)
            continue;
         int b = rec.Item(0, 2);
         uchar body[];
         int blen = 0;
         if(rec.Kind(b) == MP_BIN)
           {
            blen = rec.nodes[b].len;
            ArrayResize(body, blen);
            if(blen > 0)
               ArrayCopy(body, rec.data, 0, rec.nodes[b].start, blen);
           }
         Put(rec.Str(rec.Item(0, 0)), (int)rec.nodes[rec.Item(0, 1)].i, body, blen);
         records++;
        }
      if(records > 0)
         Print("ExecutorBridge: ", count, " intent ids from before this start loaded from ", file, "; a re-sent one is answered, never executed again.");
      if(records > 2 * EB_RING_SIZE)
         Compact();
     }

   void              Record(MpWriter &out, const string intentId, const int fields, const uchar &body[], const int len)
     {
      MpWriter r;
      r.ArrayHeader(3);
      r.Str(intentId);
      r.Int(fields);
      r.Bin(body, 0, len);
      for(int k = 0; k < 4; k++)
         out.Byte((r.len >> (8 * k)) & 0xFF);
      out.Raw(r.buf, 0, r.len);
     }

   // append one record and flush it to disk before going on
   void              Append(const string intentId, const int fields, const uchar &body[], const int len)
     {
      if(file == "")
         return;
      MpWriter out;
      Record(out, intentId, fields, body, len);
      int h = FileOpen(file, FILE_READ | FILE_WRITE | FILE_BIN | FILE_SHARE_READ);
      if(h == INVALID_HANDLE)
        {
         Print("ExecutorBridge: cannot write ", file, " (error ", GetLastError(), ").");
         return;
        }
      FileSeek(h, 0, SEEK_END);
      FileWriteArray(h, out.buf, 0, out.len);
      FileFlush(h);
      FileClose(h);
      records++;
      if(records > 2 * EB_RING_SIZE)
         Compact();
     }

   // rewrite the file with the ring only (a new file moved over the old one)
   void              Compact(void)
     {
      MpWriter out;
      for(int i = 0; i < count; i++)
        {
         int k = (next - count + i + 2 * EB_RING_SIZE) % EB_RING_SIZE; // oldest first
         Record(out, slots[k].id, slots[k].fields, slots[k].body, ArraySize(slots[k].body));
        }
      string tmp = file + ".new";
      int h = FileOpen(tmp, FILE_WRITE | FILE_BIN);
      if(h == INVALID_HANDLE)
         return;
      FileWriteArray(h, out.buf, 0, out.len);
      FileFlush(h);
      FileClose(h);
      if(FileMove(tmp, 0, file, FILE_REWRITE))
         records = count;
     }
  };

#endif
