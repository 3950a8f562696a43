//+------------------------------------------------------------------+
//| MsgPack.mqh - MessagePack encoder and decoder over uchar[]        |
//| Pure functions and small classes, no terminal calls: unit-tested  |
//| alone by the mql-test-harness against msgpack-test-suite.         |
//+------------------------------------------------------------------+
#ifndef EXECUTOR_BRIDGE_MSGPACK_MQH
#define EXECUTOR_BRIDGE_MSGPACK_MQH

// node kinds of a decoded document
#define MP_NIL    0
#define MP_BOOL   1
#define MP_INT    2
#define MP_UINT   3
#define MP_FLOAT  4
#define MP_STR    5
#define MP_BIN    6
#define MP_ARRAY  7
#define MP_MAP    8
#define MP_EXT    9

#define MP_MAX_DEPTH 64

// exact bit patterns of doubles and floats (big-endian on the wire)
union MpDoubleBits
  {
   double            d;
   long              l;
  };

union MpFloatBits
  {
   float             f;
   int               i;
  };

//+------------------------------------------------------------------+
//| Writer: appends MessagePack to a growing byte buffer              |
//+------------------------------------------------------------------+
class MpWriter
  {
public:
   uchar             buf[];
   int               len;

                     MpWriter(void) { len = 0; ArrayResize(buf, 256, 4096); }

   void              Reset(void) { len = 0; }

   void              Reserve(const int extra)
     {
      int need = len + extra;
      if(ArraySize(buf) < need)
         ArrayResize(buf, need, need + 4096);
     }

   void              Byte(const int b)
     {
      Reserve(1);
      buf[len] = (uchar)(b & 0xFF);
      len++;
     }

   void              BigEndian(const ulong v, const int bytes)
     {
      Reserve(bytes);
      for(int i = bytes - 1; i >= 0; i--)
        {
         buf[len] = (uchar)((v >> (8 * i)) & 0xFF);
         len++;
        }
     }

   void              Nil(void) { Byte(0xC0); }

   void              Bool(const bool v) { Byte(v ? 0xC3 : 0xC2); }

   void              UInt(const ulong v)
     {
      if(v < 128)
         Byte((int)v);
      else
         if(v <= 0xFF)
           {
            Byte(0xCC);
            BigEndian(v, 1);
           }
         else
            if(v <= 0xFFFF)
              {
               Byte(0xCD);
               BigEndian(v, 2);
              }
            else
               if(v <= (ulong)UINT_MAX)
                 {
                  Byte(0xCE);
                  BigEndian(v, 4);
                 }
               else
                 {
                  Byte(0xCF);
                  BigEndian(v, 8);
                 }
     }

   void              Int(const long v)
     {
      if(v >= 0)
        {
         UInt((ulong)v);
         return;
        }
      if(v >= -32)
         Byte((int)(v & 0xFF));
      else
         if(v >= -128)
           {
            Byte(0xD0);
            BigEndian((ulong)v, 1);
           }
         else
            if(v >= -32768)
              {
               Byte(0xD1);
               BigEndian((ulong)v, 2);
              }
            else
               if(v >= -2147483648)
                 {
                  Byte(0xD2);
                  BigEndian((ulong)v, 4);
                 }
               else
                 {
                  Byte(0xD3);
                  BigEndian((ulong)v, 8);
                 }
     }

   // always float64: every double goes over exactly
   void              Double(const double v)
     {
      MpDoubleBits bits;
      bits.d = v;
      Byte(0xCB);
      BigEndian((ulong)bits.l, 8);
     }

   void              StrHeader(const int n)
     {
      if(n < 32)
         Byte(0xA0 | n);
      else
         if(n <= 0xFF)
           {
            Byte(0xD9);
            BigEndian((ulong)n, 1);
           }
         else
            if(n <= 0xFFFF)
              {
               Byte(0xDA);
               BigEndian((ulong)n, 2);
              }
            else
              {
               Byte(0xDB);
               BigEndian((ulong)n, 4);
              }
     }

   void              Raw(const uchar &src[], const int start, const int n)
     {
      if(n <= 0)
         return;
      Reserve(n);
      ArrayCopy(buf, src, len, start, n);
      len += n;
     }

   // UTF-8 string
   void              Str(const string s)
     {
      uchar tmp[];
      int n = 0;
      if(StringLen(s) > 0)
         n = StringToCharArray(s, tmp, 0, StringLen(s), CP_UTF8);
      if(n < 0)
         n = 0;
      StrHeader(n);
      Raw(tmp, 0, n);
     }

   void              Bin(const uchar &src[], const int start, const int n)
     {
      if(n <= 0xFF)
        {
         Byte(0xC4);
         BigEndian((ulong)n, 1);
        }
      else
         if(n <= 0xFFFF)
           {
            Byte(0xC5);
            BigEndian((ulong)n, 2);
           }
         else
           {
            Byte(0xC6);
            BigEndian((ulong)n, 4);
           }
      Raw(src, start, n);
     }

   void              Ext(const int type, const uchar &src[], const int start, const int n)
     {
      if(n == 1)
         Byte(0xD4);
      else
         if(n == 2)
            Byte(0xD5);
         else
            if(n == 4)
               Byte(0xD6);
            else
               if(n == 8)
                  Byte(0xD7);
               else
                  if(n == 16)
                     Byte(0xD8);
                  else
                     if(n <= 0xFF)
                       {
                        Byte(0xC7);
                        BigEndian((ulong)n, 1);
                       }
                     else
                        if(n <= 0xFFFF)
                          {
                           Byte(0xC8);
                           BigEndian((ulong)n, 2);
                          }
                        else
                          {
                           Byte(0xC9);
                           BigEndian((ulong)n, 4);
                          }
      Byte(type & 0xFF);
      Raw(src, start, n);
     }

   void              ArrayHeader(const int n)
     {
      if(n < 16)
         Byte(0x90 | n);
      else
         if(n <= 0xFFFF)
           {
            Byte(0xDC);
            BigEndian((ulong)n, 2);
           }
         else
           {
            Byte(0xDD);
            BigEndian((ulong)n, 4);
           }
     }

   void              MapHeader(const int n)
     {
      if(n < 16)
         Byte(0x80 | n);
      else
         if(n <= 0xFFFF)
           {
            Byte(0xDE);
            BigEndian((ulong)n, 2);
           }
         else
           {
            Byte(0xDF);
            BigEndian((ulong)n, 4);
           }
     }

   // key/value helpers for maps
   void              KInt(const string k, const long v) { Str(k); Int(v); }
   void              KUInt(const string k, const ulong v) { Str(k); UInt(v); }
   void              KDouble(const string k, const double v) { Str(k); Double(v); }
   void              KStr(const string k, const string v) { Str(k); Str(v); }
   void              KBool(const string k, const bool v) { Str(k); Bool(v); }
  };

//+------------------------------------------------------------------+
//| A decoded node. Children of arrays and maps follow their parent   |
//| in pre-order; `next` is the index just past the node's subtree.   |
//+------------------------------------------------------------------+
struct MpNode
  {
   int               kind;
   long              i;       // MP_INT value, MP_BOOL 0/1, MP_EXT type
   ulong             u;       // MP_UINT value (above the long range)
   double            d;       // MP_FLOAT value
   int               start;   // MP_STR / MP_BIN / MP_EXT: byte offset of the payload in `data`
   int               len;     // payload bytes; MP_ARRAY elements; MP_MAP pairs
   int               next;
  };

//+------------------------------------------------------------------+
//| Reader: decodes one MessagePack value into a flat node list       |
//+------------------------------------------------------------------+
class MpDoc
  {
public:
   MpNode            nodes[];
   int               count;
   uchar             data[];
   int               size;
   int               pos;
   string            error;

                     MpDoc(void) { count = 0; size = 0; pos = 0; error = ""; }

   // decode data[0..n) (copied); false with `error` set when it is not exactly one valid value
   bool              Parse(const uchar &src[], const int n)
     {
      ArrayResize(data, n);
      if(n > 0)
         ArrayCopy(data, src, 0, 0, n);
      size = n;
      pos = 0;
      count = 0;
      error = "";
      if(!ParseValue(0))
         return false;
      if(pos != size)
        {
         error = "trailing bytes after the value at offset " + IntegerToString(pos);
         return false;
        }
      return true;
     }

   ulong             ReadBE(const int bytes)
     {
      ulong v = 0;
      for(int k = 0; k < bytes; k++)
        {
         v = (v << 8) | (ulong)data[pos];
         pos++;
        }
      return v;
     }

   // written as a subtraction: `pos + bytes` wraps for lengths near 2^31 and would pass
   bool              Need(const int bytes)
     {
      if(bytes < 0 || bytes > size - pos)
        {
         error = "truncated at offset " + IntegerToString(pos);
         return false;
        }
      return true;
     }

   int               AddNode(const int kind)
     {
      if(count >= ArraySize(nodes))
         ArrayResize(nodes, count + 1, count + 64);
      nodes[count].kind = kind;
      nodes[count].i = 0;
      nodes[count].u = 0;
      nodes[count].d = 0.0;
      nodes[count].start = 0;
      nodes[count].len = 0;
      nodes[count].next = count + 1;
      count++;
      return count - 1;
     }

   bool              Payload(const int kind, const int n)
     {
      if(!Need(n))
         return false;
      int k = AddNode(kind);
      nodes[k].start = pos;
      nodes[k].len = n;
      pos += n;
      return true;
     }

   bool              ExtPayload(const int n)
     {
      if(n < 0 || n > size - pos - 1)
        {
         error = "truncated at offset " + IntegerToString(pos);
         return false;
        }
      int type = (int)data[pos];
      if(type > 127)
         type -= 256;
      pos++;
      int k = AddNode(MP_EXT);
      nodes[k].i = type;
      nodes[k].start = pos;
      nodes[k].len = n;
      pos += n;
      return true;
     }

   bool              Container(const int kind, const int n, const int depth)
     {
      if(depth >= MP_MAX_DEPTH)
        {
         error = "nesting deeper than " + IntegerToString(MP_MAX_DEPTH);
         return false;
        }
      // every element takes at least one byte: reject impossible counts before allocating (no `2 * n`: it
      // wraps for counts near 2^30 and would pass)
      int room = size - pos;
      if(n < 0 || n > room || (kind == MP_MAP && n > room / 2))
        {
         error = "container of " + IntegerToString(n) + " elements does not fit at offset " + IntegerToString(pos);
         return false;
        }
      int items = (kind == MP_MAP) ? 2 * n : n;
      int k = AddNode(kind);
      nodes[k].len = n;
      for(int j = 0; j < items; j++)
         if(!ParseValue(depth + 1))
            return false;
      nodes[k].next = count;
      return true;
     }

   bool              ParseValue(const int depth)
     {
      if(!Need(1))
         return false;
      int b = (int)data[pos];
      pos++;
      int k;
      if(b <= 0x7F)
        {
         k = AddNode(MP_INT);
         nodes[k].i = b;
         return true;
        }
      if(b >= 0xE0)
        {
         k = AddNode(MP_INT);
         nodes[k].i = b - 256;
         return true;
        }
      if(b >= 0x80 && b <= 0x8F)
         return Container(MP_MAP, b & 0x0F, depth);
      if(b >= 0x90 && b <= 0x9F)
         return Container(MP_ARRAY, b & 0x0F, depth);
      if(b >= 0xA0 && b <= 0xBF)
         return Payload(MP_STR, b & 0x1F);
      switch(b)
        {
         case 0xC0:
            AddNode(MP_NIL);
            return true;
         case 0xC2:
         case 0xC3:
            k = AddNode(MP_BOOL);
            nodes[k].i = (b == 0xC3) ? 1 : 0;
            return true;
         case 0xC4:
            if(!Need(1))
               return false;
            return Payload(MP_BIN, (int)ReadBE(1));
         case 0xC5:
            if(!Need(2))
               return false;
            return Payload(MP_BIN, (int)ReadBE(2));
         case 0xC6:
            if(!Need(4))
               return false;
            return Payload(MP_BIN, Len32());
         case 0xC7:
            if(!Need(1))
               return false;
            return ExtPayload((int)ReadBE(1));
         case 0xC8:
            if(!Need(2))
               return false;
            return ExtPayload((int)ReadBE(2));
         case 0xC9:
            if(!Need(4))
               return false;
            return ExtPayload(Len32());
         case 0xCA:
           {
            if(!Need(4))
               return false;
            MpFloatBits fb;
            fb.i = (int)ReadBE(4);
            k = AddNode(MP_FLOAT);
            nodes[k].d = (double)fb.f;
            return true;
           }
         case 0xCB:
           {
            if(!Need(8))
               return false;
            MpDoubleBits db;
            db.l = (long)ReadBE(8);
            k = AddNode(MP_FLOAT);
            nodes[k].d = db.d;
            return true;
           }
         case 0xCC:
         case 0xCD:
         case 0xCE:
         case 0xCF:
           {
            int w = 1 << (b - 0xCC);
            if(!Need(w))
               return false;
            ulong v = ReadBE(w);
            if(v > (ulong)9223372036854775807)
              {
               k = AddNode(MP_UINT);
               nodes[k].u = v;
              }
            else
              {
               k = AddNode(MP_INT);
               nodes[k].i = (long)v;
              }
            return true;
           }
         case 0xD0:
         case 0xD1:
         case 0xD2:
         case 0xD3:
           {
            int w = 1 << (b - 0xD0);
            if(!Need(w))
               return false;
            ulong v = ReadBE(w);
            long s = (long)v;
            if(w < 8)
              {
               ulong sign = ((ulong)1) << (8 * w - 1);
               if((v & sign) != 0)
                  s = (long)v - (long)(sign << 1);
              }
            k = AddNode(MP_INT);
            nodes[k].i = s;
            return true;
           }
         case 0xD4:
            return ExtPayload(1);
         case 0xD5:
            return ExtPayload(2);
         case 0xD6:
            return ExtPayload(4);
         case 0xD7:
            return ExtPayload(8);
         case 0xD8:
            return ExtPayload(16);
         case 0xD9:
            if(!Need(1))
               return false;
            return Payload(MP_STR, (int)ReadBE(1));
         case 0xDA:
            if(!Need(2))
               return false;
            return Payload(MP_STR, (int)ReadBE(2));
         case 0xDB:
            if(!Need(4))
               return false;
            return Payload(MP_STR, Len32());
         case 0xDC:
            if(!Need(2))
               return false;
            return Container(MP_ARRAY, (int)ReadBE(2), depth);
         case 0xDD:
            if(!Need(4))
               return false;
            return Container(MP_ARRAY, Len32(), depth);
         case 0xDE:
            if(!Need(2))
               return false;
            return Container(MP_MAP, (int)ReadBE(2), depth);
         case 0xDF:
            if(!Need(4))
               return false;
            return Container(MP_MAP, Len32(), depth);
        }
      error = "invalid MessagePack type byte 0x" + StringFormat("%02X", b) + " at offset " + IntegerToString(pos - 1);
      return false;
     }

   // a 32-bit length; above 2^31-1 it cannot fit any frame, so it is reported as not fitting
   int               Len32(void)
     {
      ulong v = ReadBE(4);
      if(v > 2147483647)
         return -1;
      return (int)v;
     }

   // ---------------------------------------------------------------- lookups
   int               Kind(const int n) const { return (n >= 0 && n < count) ? nodes[n].kind : -1; }

   // value node of `key` in map node `map`, or -1
   int               Find(const int map, const string key)
     {
      if(map < 0 || map >= count || nodes[map].kind != MP_MAP)
         return -1;
      int c = map + 1;
      for(int p = 0; p < nodes[map].len; p++)
        {
         int v = nodes[c].next;
         if(nodes[c].kind == MP_STR && StrIs(c, key))
            return v;
         c = nodes[v].next;
        }
      return -1;
     }

   // j-th element of array node `arr`, or -1
   int               Item(const int arr, const int j)
     {
      if(arr < 0 || arr >= count || nodes[arr].kind != MP_ARRAY || j < 0 || j >= nodes[arr].len)
         return -1;
      int c = arr + 1;
      for(int p = 0; p < j; p++)
         c = nodes[c].next;
      return c;
     }

   int               Len(const int n) const
     {
      if(n < 0 || n >= count)
         return 0;
      if(nodes[n].kind == MP_ARRAY || nodes[n].kind == MP_MAP)
         return nodes[n].len;
      return 0;
     }

   bool              StrIs(const int n, const string s)
     {
      uchar tmp[];
      int m = 0;
      if(StringLen(s) > 0)
         m = StringToCharArray(s, tmp, 0, StringLen(s), CP_UTF8);
      if(m != nodes[n].len)
         return false;
      for(int k = 0; k < m; k++)
         if(tmp[k] != data[nodes[n].start + k])
            return false;
      return true;
     }

   string            Str(const int n)
     {
      if(n < 0 || n >= count || nodes[n].kind != MP_STR || nodes[n].len == 0)
         return "";
      return CharArrayToString(data, nodes[n].start, nodes[n].len, CP_UTF8);
     }

   bool              IsNumber(const int n) const
     {
      int k = Kind(n);
      return k == MP_INT || k == MP_UINT || k == MP_FLOAT;
     }

   long              Long(const int n) const
     {
      int k = Kind(n);
      if(k == MP_INT || k == MP_BOOL)
         return nodes[n].i;
      if(k == MP_UINT)
         return (long)nodes[n].u;
      if(k == MP_FLOAT)
         return (long)nodes[n].d;
      return 0;
     }

   ulong             ULong(const int n) const
     {
      int k = Kind(n);
      if(k == MP_UINT)
         return nodes[n].u;
      if(k == MP_INT && nodes[n].i >= 0)
         return (ulong)nodes[n].i;
      return 0;
     }

   // numbers of any encoding (a sender may write 1.0 as the integer 1)
   double            Dbl(const int n) const
     {
      int k = Kind(n);
      if(k == MP_FLOAT)
         return nodes[n].d;
      if(k == MP_INT)
         return (double)nodes[n].i;
      if(k == MP_UINT)
         return (double)nodes[n].u;
      return 0.0;
     }

   bool              Bool(const int n) const { return Kind(n) == MP_BOOL && nodes[n].i != 0; }

   // map field helpers with defaults
   long              GetLong(const int map, const string key, const long def)
     {
      int v = Find(map, key);
      return IsNumber(v) ? Long(v) : def;
     }
   ulong             GetULong(const int map, const string key)
     {
      return ULong(Find(map, key));
     }
   double            GetDouble(const int map, const string key, const double def)
     {
      int v = Find(map, key);
      return IsNumber(v) ? Dbl(v) : def;
     }
   string            GetStr(const int map, const string key)
     {
      return Str(Find(map, key));
     }
   bool              GetBool(const int map, const string key)
     {
      return Bool(Find(map, key));
     }
  };

// Re-encode node `n` of `doc` (and its subtree) canonically into `w`; returns the node after it.
int MpCopyNode(MpDoc &doc, const int n, MpWriter &w)
  {
   int kind = doc.nodes[n].kind;
   if(kind == MP_NIL)
      w.Nil();
   if(kind == MP_BOOL)
      w.Bool(doc.nodes[n].i != 0);
   if(kind == MP_INT)
      w.Int(doc.nodes[n].i);
   if(kind == MP_UINT)
      w.UInt(doc.nodes[n].u);
   if(kind == MP_FLOAT)
      w.Double(doc.nodes[n].d);
   if(kind == MP_STR)
     {
      w.StrHeader(doc.nodes[n].len);
      w.Raw(doc.data, doc.nodes[n].start, doc.nodes[n].len);
     }
   if(kind == MP_BIN)
      w.Bin(doc.data, doc.nodes[n].start, doc.nodes[n].len);
   if(kind == MP_EXT)
      w.Ext((int)doc.nodes[n].i, doc.data, doc.nodes[n].start, doc.nodes[n].len);
   if(kind == MP_ARRAY || kind == MP_MAP)
     {
      int items = doc.nodes[n].len;
      if(kind == MP_ARRAY)
         w.ArrayHeader(items);
      else
        {
         w.MapHeader(items);
         items *= 2;
        }
      int c = n + 1;
      for(int j = 0; j < items; j++)
         c = MpCopyNode(doc, c, w);
     }
   return doc.nodes[n].next;
  }

#endif
