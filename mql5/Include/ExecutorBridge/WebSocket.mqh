//+------------------------------------------------------------------+
//| WebSocket.mqh - RFC 6455 client over MQL5 sockets                 |
//| Framing and the handshake check are pure functions over uchar[];  |
//| WsClient adds the socket and never blocks: it reads only what     |
//| SocketIsReadable reports, with a 1 ms read timeout.               |
//+------------------------------------------------------------------+
#ifndef EXECUTOR_BRIDGE_WEBSOCKET_MQH
#define EXECUTOR_BRIDGE_WEBSOCKET_MQH

#define WS_OP_CONT   0x0
#define WS_OP_TEXT   0x1
#define WS_OP_BINARY 0x2
#define WS_OP_CLOSE  0x8
#define WS_OP_PING   0x9
#define WS_OP_PONG   0xA

#define WS_CLOSED     0
#define WS_HANDSHAKE  1
#define WS_OPEN       2

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// base64(SHA-1(key + GUID)): the Sec-WebSocket-Accept a server must answer to `key`
string WsAcceptFor(const string key)
  {
   uchar src[];
   uchar hash[];
   uchar b64[];
   uchar nokey[];
   string s = key + WS_GUID;
   int n = StringToCharArray(s, src, 0, StringLen(s), CP_UTF8);
   ArrayResize(src, n);
   if(CryptEncode(CRYPT_HASH_SHA1, src, nokey, hash) != 20)
      return "";
   int m = CryptEncode(CRYPT_BASE64, hash, nokey, b64);
   if(m <= 0)
      return "";
   return CharArrayToString(b64, 0, m, CP_UTF8);
  }

// a random 16-byte key, base64-encoded
string WsNewKey(void)
  {
   uchar raw[];
   uchar b64[];
   uchar nokey[];
   ArrayResize(raw, 16);
   for(int i = 0; i < 16; i++)
      raw[i] = (uchar)(MathRand() & 0xFF);
   int m = CryptEncode(CRYPT_BASE64, raw, nokey, b64);
   if(m <= 0)
      return "";
   return CharArrayToString(b64, 0, m, CP_UTF8);
  }

// Append one masked client frame to out[outLen..]; returns the new length.
int WsBuildFrame(const int opcode, const bool fin, const uchar &payload[], const int start, const int n,
                 const uchar &mask[], uchar &out[], const int outLen)
  {
   int header = 2 + 4;
   if(n > 65535)
      header += 8;
   else
      if(n > 125)
         header += 2;
   int total = outLen + header + n;
   if(ArraySize(out) < total)
      ArrayResize(out, total, total + 1024);
   int p = outLen;
   out[p] = (uchar)((fin ? 0x80 : 0x00) | (opcode & 0x0F));
   p++;
   if(n <= 125)
     {
      out[p] = (uchar)(0x80 | n);
      p++;
     }
   else
      if(n <= 65535)
        {
         out[p] = (uchar)(0x80 | 126);
         out[p + 1] = (uchar)((n >> 8) & 0xFF);
         out[p + 2] = (uchar)(n & 0xFF);
         p += 3;
        }
      else
        {
         out[p] = (uchar)(0x80 | 127);
         p++;
         ulong len64 = (ulong)n;
         for(int k = 7; k >= 0; k--)
           {
            out[p] = (uchar)((len64 >> (8 * k)) & 0xFF);
            p++;
           }
        }
   for(int k = 0; k < 4; k++)
     {
      out[p] = mask[k];
      p++;
     }
   for(int k = 0; k < n; k++)
     {
      out[p] = (uchar)(payload[start + k] ^ mask[k & 3]);
      p++;
     }
   return p;
  }

// Parse one server frame at buf[at..at+len). Returns the bytes it takes, 0 when incomplete, -1 when invalid
// (a masked server frame, a reserved bit, a control frame over 125 bytes or fragmented, a length over maxLen).
// payloadStart is an index into buf.
int WsParseFrame(const uchar &buf[], const int at, const int len, const int maxLen, bool &fin, int &opcode, int &payloadStart, int &payloadLen)
  {
   if(len < 2)
      return 0;
   int b0 = (int)buf[at];
   int b1 = (int)buf[at + 1];
   fin = (b0 & 0x80) != 0;
   opcode = b0 & 0x0F;
   if((b0 & 0x70) != 0)
      return -1;
   if((b1 & 0x80) != 0)
      return -1;
   if(opcode >= 0x3 && opcode <= 0x7)
      return -1;
   if(opcode >= 0xB)
      return -1;
   int p = 2;
   ulong n = (ulong)(b1 & 0x7F);
   if(n == 126)
     {
      if(len < 4)
         return 0;
      n = ((ulong)buf[at + 2] << 8) | (ulong)buf[at + 3];
      p = 4;
     }
   else
      if(n == 127)
        {
         if(len < 10)
            return 0;
         n = 0;
         for(int k = 0; k < 8; k++)
            n = (n << 8) | (ulong)buf[at + 2 + k];
         p = 10;
        }
   if(opcode >= 0x8 && (n > 125 || !fin))
      return -1;
   if(n > (ulong)maxLen)
      return -1;
   if((ulong)(len - p) < n)
      return 0;
   payloadStart = at + p;
   payloadLen = (int)n;
   return p + (int)n;
  }

// Check a server's handshake reply (the text up to and including the blank line).
// Returns "" when it is a valid 101 with the right accept value, else what is wrong.
string WsCheckHandshake(const string reply, const string key)
  {
   int eol = StringFind(reply, "\r\n");
   string status = (eol >= 0) ? StringSubstr(reply, 0, eol) : reply;
   if(StringFind(status, "HTTP/1.1 101") != 0)
      return "the server did not switch protocols: " + status;
   string lower = reply;
   StringToLower(lower);
   int at = StringFind(lower, "\r\nsec-websocket-accept:");
   if(at < 0)
      return "no Sec-WebSocket-Accept header";
   int from = at + StringLen("\r\nsec-websocket-accept:");
   int to = StringFind(reply, "\r\n", from);
   string got = StringSubstr(reply, from, to - from);
   StringTrimLeft(got);
   StringTrimRight(got);
   string want = WsAcceptFor(key);
   if(got != want)
      return "wrong Sec-WebSocket-Accept " + got + " (expected " + want + ")";
   return "";
  }

//+------------------------------------------------------------------+
//| The client                                                        |
//+------------------------------------------------------------------+
class WsClient
  {
public:
   int               sock;
   int               state;
   string            key;
   string            error;
   int               closeCode;
   uchar             rx[];
   int               rxPos;        // rx[rxPos..rxLen) is unread: consuming a frame moves rxPos, copies nothing
   int               rxLen;
   uchar             msg[];
   int               msgLen;
   int               msgOpcode;
   bool              inMessage;
   uchar             tx[];
   int               maxMessage;   // largest message accepted; the bridge sets the protocol's limit

                     WsClient(void)
     {
      maxMessage = 16777216;
      sock = INVALID_HANDLE;
      state = WS_CLOSED;
      rxPos = 0;
      rxLen = 0;
      msgLen = 0;
      msgOpcode = 0;
      inMessage = false;
      closeCode = 0;
      error = "";
     }

   bool              IsOpen(void) const { return state == WS_OPEN; }

   // TCP connect and send the opening handshake. The reply is read by Poll().
   bool              Connect(const string host, const int port, const uint timeoutMs)
     {
      Drop();
      error = "";
      closeCode = 0;
      sock = SocketCreate();
      if(sock == INVALID_HANDLE)
        {
         error = "SocketCreate failed, error " + IntegerToString(GetLastError());
         return false;
        }
      if(!SocketConnect(sock, host, (uint)port, timeoutMs))
        {
         int err = GetLastError();
         error = "cannot connect to " + host + ":" + IntegerToString(port) + ", error " + IntegerToString(err);
         SocketClose(sock);
         sock = INVALID_HANDLE;
         return false;
        }
      key = WsNewKey();
      string req = "GET / HTTP/1.1\r\nHost: " + host + ":" + IntegerToString(port) +
                   "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                   "\r\nSec-WebSocket-Version: 13\r\nUser-Agent: ExecutorBridge\r\n\r\n";
      uchar out[];
      int n = StringToCharArray(req, out, 0, StringLen(req), CP_UTF8);
      if(!SendAll(out, n))
         return false;
      rxPos = 0;
      rxLen = 0;
      msgLen = 0;
      inMessage = false;
      state = WS_HANDSHAKE;
      return true;
     }

   bool              SendAll(const uchar &data[], const int n)
     {
      if(sock == INVALID_HANDLE)
         return false;
      uchar part[];
      int sent = 0;
      while(sent < n)
        {
         int r;
         if(sent == 0)
            r = SocketSend(sock, data, (uint)n);
         else
           {
            ArrayResize(part, n - sent);
            ArrayCopy(part, data, 0, sent, n - sent);
            r = SocketSend(sock, part, (uint)(n - sent));
           }
         if(r <= 0)
           {
            error = "send failed, error " + IntegerToString(GetLastError());
            Drop();
            return false;
           }
         sent += r;
        }
      return true;
     }

   bool              SendFrame(const int opcode, const uchar &payload[], const int start, const int n)
     {
      if(state == WS_CLOSED)
         return false;
      uchar mask[];
      ArrayResize(mask, 4);
      for(int k = 0; k < 4; k++)
         mask[k] = (uchar)(MathRand() & 0xFF);
      int len = WsBuildFrame(opcode, true, payload, start, n, mask, tx, 0);
      return SendAll(tx, len);
     }

   bool              SendBinary(const uchar &payload[], const int n)
     {
      if(state != WS_OPEN)
         return false;
      return SendFrame(WS_OP_BINARY, payload, 0, n);
     }

   // Close handshake: send a close frame and drop the socket.
   void              Close(const int code, const string reason)
     {
      if(state == WS_OPEN)
        {
         uchar p[];
         uchar r[];
         int rn = StringToCharArray(reason, r, 0, StringLen(reason), CP_UTF8);
         if(rn > 100)
            rn = 100;
         ArrayResize(p, 2 + rn);
         p[0] = (uchar)((code >> 8) & 0xFF);
         p[1] = (uchar)(code & 0xFF);
         if(rn > 0)
            ArrayCopy(p, r, 2, 0, rn);
         SendFrame(WS_OP_CLOSE, p, 0, 2 + rn);
        }
      Drop();
     }

   void              Drop(void)
     {
      if(sock != INVALID_HANDLE)
         SocketClose(sock);
      sock = INVALID_HANDLE;
      state = WS_CLOSED;
      rxPos = 0;
      rxLen = 0;
      msgLen = 0;
      inMessage = false;
     }

   // Read what the socket has. Returns false when the connection is gone (see `error`).
   bool              Poll(void)
     {
      if(sock == INVALID_HANDLE)
         return false;
      uchar chunk[];
      // what was consumed goes, once per poll (not once per frame)
      if(rxPos > 0)
        {
         if(rxPos < rxLen)
           {
            uchar rest[];
            ArrayCopy(rest, rx, 0, rxPos, rxLen - rxPos);
            ArrayCopy(rx, rest, 0, 0, rxLen - rxPos);
           }
         rxLen -= rxPos;
         rxPos = 0;
        }
      for(int rounds = 0; rounds < 64; rounds++)
        {
         uint avail = SocketIsReadable(sock);
         if(avail == 0)
           {
            if(!SocketIsConnected(sock))
              {
               error = "connection lost";
               Drop();
               return false;
              }
            break;
           }
         int n = SocketRead(sock, chunk, avail, 1);
         if(n <= 0)
           {
            if(!SocketIsConnected(sock))
              {
               error = "connection lost";
               Drop();
               return false;
              }
            break;
           }
         if(ArraySize(rx) < rxLen + n)
            ArrayResize(rx, rxLen + n, rxLen + n + 65536);
         ArrayCopy(rx, chunk, rxLen, 0, n);
         rxLen += n;
         if(rxLen > maxMessage + 65536)
            break;
        }
      if(state == WS_HANDSHAKE)
         return ReadHandshake();
      return true;
     }

   bool              ReadHandshake(void)
     {
      int end = -1;
      for(int k = rxPos + 3; k < rxLen; k++)
         if(rx[k] == 10 && rx[k - 1] == 13 && rx[k - 2] == 10 && rx[k - 3] == 13)
           {
            end = k + 1;
            break;
           }
      if(end < 0)
        {
         if(rxLen > 16384)
           {
            error = "handshake reply too long";
            Drop();
            return false;
           }
         return true;
        }
      string reply = CharArrayToString(rx, rxPos, end - rxPos, CP_UTF8);
      string why = WsCheckHandshake(reply, key);
      if(why != "")
        {
         error = "WebSocket handshake failed: " + why;
         Drop();
         return false;
        }
      Consume(end - rxPos);
      state = WS_OPEN;
      return true;
     }

   void              Consume(const int n)
     {
      rxPos += n;
      if(rxPos >= rxLen)
        {
         rxPos = 0;
         rxLen = 0;
        }
     }

   // The next complete data message (binary or text) into out[0..outLen). Control frames are handled here:
   // ping -> pong, close -> close reply and drop. Returns false when no complete message is buffered.
   bool              Next(uchar &out[], int &outLen, int &opcodeOut)
     {
      while(state == WS_OPEN)
        {
         bool fin = false;
         int opcode = 0;
         int ps = 0;
         int pl = 0;
         int used = WsParseFrame(rx, rxPos, rxLen - rxPos, maxMessage, fin, opcode, ps, pl);
         if(used == 0)
            return false;
         if(used < 0)
           {
            error = "invalid frame from the server";
            Close(1002, "protocol error");
            return false;
           }
         if(opcode == WS_OP_PING)
           {
            SendFrame(WS_OP_PONG, rx, ps, pl);
            Consume(used);
            continue;
           }
         if(opcode == WS_OP_PONG)
           {
            Consume(used);
            continue;
           }
         if(opcode == WS_OP_CLOSE)
           {
            closeCode = (pl >= 2) ? (((int)rx[ps] << 8) | (int)rx[ps + 1]) : 1005;
            error = "closed by the server, code " + IntegerToString(closeCode);
            if(pl >= 2)
               SendFrame(WS_OP_CLOSE, rx, ps, 2);
            else
               SendFrame(WS_OP_CLOSE, rx, ps, 0);
            Drop();
            return false;
           }
         // data frames, possibly fragmented
         if(opcode == WS_OP_CONT)
           {
            if(!inMessage)
              {
               error = "continuation frame without a message";
               Close(1002, "protocol error");
               return false;
              }
           }
         else
           {
            if(inMessage)
              {
               error = "new message inside a fragmented one";
               Close(1002, "protocol error");
               return false;
              }
            inMessage = true;
            msgOpcode = opcode;
            msgLen = 0;
           }
         if(msgLen + pl > maxMessage)
           {
            error = "message over the size limit";
            Close(1009, "message too big");
            return false;
           }
         if(ArraySize(msg) < msgLen + pl)
            ArrayResize(msg, msgLen + pl, msgLen + pl + 4096);
         if(pl > 0)
            ArrayCopy(msg, rx, msgLen, ps, pl);
         msgLen += pl;
         Consume(used);
         if(fin)
           {
            inMessage = false;
            if(ArraySize(out) < msgLen)
               ArrayResize(out, msgLen);
            if(msgLen > 0)
               ArrayCopy(out, msg, 0, 0, msgLen);
            outLen = msgLen;
            opcodeOut = msgOpcode;
            msgLen = 0;
            return true;
           }
        }
      return false;
     }
  };

#endif
