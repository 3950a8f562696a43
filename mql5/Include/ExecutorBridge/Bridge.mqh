//+------------------------------------------------------------------+
//| Bridge.mqh - the EA's whole job: connect to the host, stream      |
//| ticks, bars and trade state, execute intents exactly once.        |
//| No strategy logic lives here.                                     |
//+------------------------------------------------------------------+
#ifndef EXECUTOR_BRIDGE_BRIDGE_MQH
#define EXECUTOR_BRIDGE_BRIDGE_MQH

#include "Protocol.mqh"
#include "MsgPack.mqh"
#include "WebSocket.mqh"
#include "Terminal.mqh"
#include "IntentRing.mqh"

#define EB_EA_NAME "ExecutorBridge 1.0"
#define EB_MAX_TICKS_PER_MSG 1000

// the EA talks to 127.0.0.1 only: a connect is answered (or refused) at once
#define EB_CONNECT_TIMEOUT_MS 50
// a send the host does not take within this long drops the connection instead of blocking the terminal
#define EB_SEND_TIMEOUT_MS 30
// the WebSocket handshake's 101 and then the host's WELCOME must come within these
#define EB_HANDSHAKE_TIMEOUT_MS 3000
#define EB_WELCOME_TIMEOUT_MS 5000
// OnBookEvent runs the loop at most this often; the events between are served by the next one or the timer
#define EB_BOOK_MIN_GAP_US 5000
#define EB_MARGIN_HEDGING 2

#define EB_LOST_NOTHING 0
#define EB_LOST_BLOCK_NEW 1
#define EB_LOST_CLOSE_ALL 2

struct EbTickSub
  {
   string            symbol;
   long              lastMsc;
   int               sentAtLast;
  };

struct EbBarSub
  {
   string            symbol;
   int               tf;
   long              lastBar;
  };


class EbBridge
  {
public:
   // configuration (inputs)
   string            host;
   int               port;
   string            token;
   long              magic;
   int               fillingOverride;
   int               lostPolicy;
   int               lostGraceSec;
   uint              connectTimeoutMs;
   int               replyWaitMs;
   // connection
   WsClient          ws;
   MpWriter          w;
   MpWriter          core;
   MpWriter          sub;
   MpDoc             doc;
   uchar             inbuf[];
   long              outSeq;
   long              inSeq;
   bool              welcomed;
   bool              everWelcomed;
   bool              halted;
   uint              heartbeatMs;
   uint              lastPingSent;
   uint              lastHeard;
   uint              nextConnectAt;
   uint              backoffMs;
   int               failedConnects;
   uint              lostSince;
   bool              lostHandled;
   bool              sessionActive;   // a connection is up (or being set up): OnLost acts once per connection
   uint              connectStarted;
   uint              helloSentAt;
   ulong             lastServiceUs;
   bool              bookPending;
   int               lastHandled;     // messages the last ReadIncoming dispatched
   // subscriptions
   EbTickSub         ticks[];
   EbBarSub          bars[];
   // idempotency ring, in memory and on disk
   EbIntentRing      ring;
   // counters
   bool              stateDirty;
   ulong             orderSends;
   ulong             intentsExecuted;
   ulong             duplicates;
   ulong             seqGaps;

                     EbBridge(void)
     {
      port = 0;
      magic = 0;
      fillingOverride = -1;
      lostPolicy = EB_LOST_NOTHING;
      lostGraceSec = 60;
      connectTimeoutMs = EB_CONNECT_TIMEOUT_MS;
      replyWaitMs = 2;
      outSeq = 0;
      inSeq = 0;
      welcomed = false;
      everWelcomed = false;
      halted = false;
      heartbeatMs = 5000;
      lastPingSent = 0;
      lastHeard = 0;
      nextConnectAt = 0;
      backoffMs = 500;
      failedConnects = 0;
      lostSince = 0;
      lostHandled = false;
      sessionActive = false;
      connectStarted = 0;
      helloSentAt = 0;
      lastServiceUs = 0;
      bookPending = false;
      lastHandled = 0;
      stateDirty = false;
      orderSends = 0;
      intentsExecuted = 0;
      duplicates = 0;
      seqGaps = 0;
     }

   // ------------------------------------------------------------ lifecycle
   void              Start(void)
     {
      MathSrand((int)(GetTickCount() ^ (uint)GetMicrosecondCount()));
      ws.maxMessage = EB_MAX_FRAME_BYTES;
      // A change of inputs (a pasted token, another port) re-runs OnInit without unloading the EA: every global
      // keeps its value, so the state of the last session must not carry over (a BAD_TOKEN halt above all).
      halted = false;
      welcomed = false;
      sessionActive = false;
      backoffMs = 500;
      failedConnects = 0;
      // the host-lost grace period starts anew (the session before the re-init is gone); before any session: none
      lostSince = everWelcomed ? GetTickCount() : 0;
      lostHandled = false;
      ring.file = "";
      ring.Load();
      if(TerminalInfoInteger(TERMINAL_TRADE_ALLOWED) == 0 || MQLInfoInteger(MQL_TRADE_ALLOWED) == 0)
         Print("ExecutorBridge: Algo Trading is off - intents will be refused with 10027 until you press the Algo Trading button and allow algorithmic trading in the EA's settings.");
      nextConnectAt = GetTickCount();
      Service();
     }

   void              Stop(const string why)
     {
      for(int i = 0; i < ArraySize(ticks); i++)
         if(ticks[i].symbol != _Symbol)
            MarketBookRelease(ticks[i].symbol);
      if(ws.IsOpen())
         ws.Close(1001, why);
      ws.Drop();
      welcomed = false;
      sessionActive = false;
     }

   // ------------------------------------------------------------ the loop
   // Called from OnTimer, OnTick and OnBookEvent: never waits longer than a 1 ms socket read or the reply wait.
   void              Service(void)
     {
      bookPending = false;
      ServiceOnce();
      lastServiceUs = GetMicrosecondCount();
     }

   // OnBookEvent: every change of every subscribed book is queued by the terminal; a burst of them must not
   // run the whole loop each (the queue would overflow and drop trade transactions). At most one per 5 ms; the
   // rest is left to the next event or the timer.
   void              OnBook(void)
     {
      if(GetMicrosecondCount() - lastServiceUs < EB_BOOK_MIN_GAP_US)
        {
         bookPending = true;
         return;
        }
      Service();
     }

   void              ServiceOnce(void)
     {
      uint now = GetTickCount();
      // the host-lost policy runs whenever there is no welcomed session, however the socket is (a host that
      // accepts the connection and then hangs must not keep it from acting)
      if(!welcomed)
         CheckLostPolicy(now);
      if(ws.state == WS_CLOSED)
        {
         if(welcomed)
            OnLost();
         if(!halted && now - nextConnectAt < 0x80000000)
            TryConnect(now);
         return;
        }
      if(ws.state == WS_HANDSHAKE)
        {
         ContinueHandshake(now);
         return;
        }
      if(!ReadIncoming())
         return;
      if(!welcomed)
        {
         if(ws.IsOpen() && now - helloSentAt > EB_WELCOME_TIMEOUT_MS)
           {
            Print("ExecutorBridge: the host accepted the connection but sent no WELCOME within ", EB_WELCOME_TIMEOUT_MS / 1000, " s; reconnecting.");
            ws.error = "no WELCOME";
            ws.Drop();
            OnLost();
           }
         return;
        }
      // the account, positions and orders first: after a (re)connection the host checks a bar's entries against
      // this session's position list, so it must arrive before the first bar (and ticks) of the session
      if(stateDirty)
         SendState();
      int sent = StreamTicks();
      StreamBars();
      // A strategy answers a tick within a millisecond or two: wait that long for its intent here instead
      // of until the next timer event (the terminal's timer fires every 10-16 ms at best).
      if(sent > 0 && replyWaitMs > 0)
         AwaitReply();
      now = GetTickCount();
      if(welcomed && now - lastPingSent >= heartbeatMs)
        {
         lastPingSent = now;
         w.Reset();
         Header(EB_MSG_PING, 3);
         w.KInt(EB_K_TS, (long)now);
         Flush();
        }
      if(welcomed && now - lastHeard > 3 * heartbeatMs + 1000)
        {
         Print("ExecutorBridge: the host has not answered for ", (now - lastHeard) / 1000, " s; reconnecting.");
         ws.Drop();
         OnLost();
        }
     }

   // Read and dispatch what the host sent; false when the connection is gone.
   bool              ReadIncoming(void)
     {
      if(!ws.Poll())
        {
         OnLost();
         return false;
        }
      int opcode = 0;
      int n = 0;
      int handled = 0;
      lastHandled = 0;
      while(handled < 1000 && ws.Next(inbuf, n, opcode))
        {
         handled++;
         lastHeard = GetTickCount();
         if(opcode != WS_OP_BINARY)
           {
            SendError(-1, EB_ERR_MALFORMED, "text frames are not part of the protocol; send MessagePack in binary frames");
            continue;
           }
         Dispatch(n);
         lastHandled = handled;
        }
      if(ws.state == WS_CLOSED)
        {
         OnLost();
         return false;
        }
      return true;
     }

   // Wait up to replyWaitMs for the host's answer and handle it at once; ticks that come in meanwhile are streamed.
   // Measured with GetMicrosecondCount, not Sleep: Sleep(1) lasts ~16 ms on Windows' default timer. And a
   // non-zero SocketIsReadable is not taken as "a message is here" (the terminal may answer 1 speculatively):
   // the wait ends when a message was actually handled, or the budget is spent.
   void              AwaitReply(void)
     {
      ulong start = GetMicrosecondCount();
      ulong budget = (ulong)replyWaitMs * 1000;
      ulong lastTicks = start;
      while(welcomed && ws.IsOpen())
        {
         ulong now = GetMicrosecondCount();
         if(now - start >= budget)
            return;
         if(SocketIsReadable(ws.sock) > 0)
           {
            ReadIncoming();
            if(lastHandled > 0)
               return;
           }
         if(now - lastTicks >= 1000)
           {
            lastTicks = now;
            StreamTicks();
           }
        }
     }

   // TCP connect (127.0.0.1: at once) and the upgrade request; the 101 is read by later events (ContinueHandshake),
   // so no event handler waits for the host.
   void              TryConnect(const uint now)
     {
      if(ring.file == "")
         ring.Load();
      if(!ws.Connect(host, port, connectTimeoutMs))
        {
         failedConnects++;
         if(failedConnects == 1 || failedConnects % 20 == 0)
            Print("ExecutorBridge: ", ws.error, ". Is the host running (mt5-executor start)? Is 127.0.0.1 in Tools > Options > Expert Advisors > 'Allow WebRequest for listed URL'? Retrying in the background.");
         ScheduleReconnect(now);
         return;
        }
      SocketTimeouts(ws.sock, EB_SEND_TIMEOUT_MS, EB_SEND_TIMEOUT_MS);
      sessionActive = true;
      connectStarted = now;
      ContinueHandshake(now);
     }

   void              ContinueHandshake(const uint now)
     {
      if(!ws.Poll() || (ws.state == WS_HANDSHAKE && now - connectStarted > EB_HANDSHAKE_TIMEOUT_MS))
        {
         failedConnects++;
         Print("ExecutorBridge: ", (ws.error != "" ? ws.error : "no WebSocket handshake reply"), "; retrying.");
         ws.Drop();
         sessionActive = false;
         ScheduleReconnect(now);
         return;
        }
      if(ws.state != WS_OPEN)
         return;
      outSeq = 0;
      inSeq = 0;
      lastHeard = GetTickCount();
      helloSentAt = lastHeard;
      SendHello();
     }

   void              ScheduleReconnect(const uint now)
     {
      nextConnectAt = now + backoffMs;
      backoffMs = backoffMs * 2;
      if(backoffMs > 10000)
         backoffMs = 10000;
     }

   // Once per connection, however many paths notice the loss (a failed send inside a handler, then the read).
   void              OnLost(void)
     {
      if(!sessionActive)
        {
         welcomed = false;
         return;
        }
      sessionActive = false;
      if(welcomed)
        {
         Print("ExecutorBridge: connection to the host lost (", ws.error, "); reconnecting with backoff.");
         lostSince = GetTickCount();
         lostHandled = false;
        }
      welcomed = false;
      ScheduleReconnect(GetTickCount());
     }

   // The host-lost policy: after the grace period without the host, act once.
   void              CheckLostPolicy(const uint now)
     {
      if(!everWelcomed || lostHandled || lostSince == 0)
         return;
      if(now - lostSince < (uint)lostGraceSec * 1000)
         return;
      lostHandled = true;
      if(lostPolicy == EB_LOST_NOTHING)
        {
         Print("ExecutorBridge: host lost for ", lostGraceSec, " s; policy: keep positions and orders as they are.");
         return;
        }
      int removed = DeleteOwnOrders();
      int closed = 0;
      if(lostPolicy == EB_LOST_CLOSE_ALL)
         closed = CloseOwnPositions();
      Print("ExecutorBridge: host lost for ", lostGraceSec, " s; policy ", (lostPolicy == EB_LOST_CLOSE_ALL ? "close all" : "block new orders"),
            ": deleted ", removed, " pending orders, closed ", closed, " positions.");
     }

   bool              IsOwn(const long m, const string comment)
     {
      return (magic != 0 && m == magic) || StringFind(comment, EB_INTENT_COMMENT_PREFIX) == 0;
     }

   int               DeleteOwnOrders(void)
     {
      ulong tickets[];
      int k = 0;
      int n = OrdersTotal();
      ArrayResize(tickets, n);
      for(int i = 0; i < n; i++)
        {
         ulong t = OrderGetTicket(i);
         if(t != 0 && IsOwn(OrderGetInteger(ORDER_MAGIC), OrderGetString(ORDER_COMMENT)))
           {
            tickets[k] = t;
            k++;
           }
        }
      int done = 0;
      for(int i = 0; i < k; i++)
        {
         MqlTradeRequest req;
         MqlTradeResult res;
         ZeroMemory(req);
         ZeroMemory(res);
         req.action = TRADE_ACTION_REMOVE;
         req.order = tickets[i];
         orderSends++;
         if(OrderSend(req, res) && res.retcode == TRADE_RETCODE_DONE)
            done++;
        }
      return done;
     }

   int               CloseOwnPositions(void)
     {
      ulong tickets[];
      int k = 0;
      int n = PositionsTotal();
      ArrayResize(tickets, n);
      for(int i = 0; i < n; i++)
        {
         ulong t = PositionGetTicket(i);
         if(t != 0 && IsOwn(PositionGetInteger(POSITION_MAGIC), PositionGetString(POSITION_COMMENT)))
           {
            tickets[k] = t;
            k++;
           }
        }
      int done = 0;
      MqlTradeResult res;
      for(int i = 0; i < k; i++)
         if(ClosePosition(tickets[i], 0.0, 50, magic, "host lost", res) && res.retcode == TRADE_RETCODE_DONE)
            done++;
      return done;
     }

   // ------------------------------------------------------------ sending
   void              Header(const int type, const int fields)
     {
      outSeq++;
      w.MapHeader(fields);
      w.KInt(EB_K_TYPE, type);
      w.KInt(EB_K_SEQ, outSeq);
     }

   bool              Flush(void)
     {
      if(!ws.SendBinary(w.buf, w.len))
        {
         OnLost();
         return false;
        }
      return true;
     }

   void              SendHello(void)
     {
      w.Reset();
      Header(EB_MSG_HELLO, 8);
      w.KInt(EB_K_PROTOCOL, EB_PROTOCOL_VERSION);
      w.KStr(EB_K_TOKEN, token);
      w.KStr(EB_K_EA, EB_EA_NAME);
      w.Str(EB_K_TERMINAL);
      w.MapHeader(4);
      w.KInt(EB_K_BUILD, TerminalInfoInteger(TERMINAL_BUILD));
      w.KStr(EB_K_NAME, TerminalInfoString(TERMINAL_NAME));
      w.KStr(EB_K_COMPANY, TerminalInfoString(TERMINAL_COMPANY));
      w.KStr(EB_K_INSTANCE, InstanceId());
      w.Str(EB_K_ACCOUNT);
      EB_WriteAccount(w);
      w.KInt(EB_K_SERVER_TIME_OFFSET, (long)(TimeTradeServer() - TimeGMT()));
      Flush();
     }

   // a stable id of this terminal installation: SHA-1 of its data folder, hex
   string            InstanceId(void)
     {
      uchar src[];
      uchar hash[];
      uchar nokey[];
      string path = TerminalInfoString(TERMINAL_DATA_PATH);
      int n = StringToCharArray(path, src, 0, StringLen(path), CP_UTF8);
      ArrayResize(src, n);
      if(CryptEncode(CRYPT_HASH_SHA1, src, nokey, hash) != 20)
         return "unknown";
      string hex = "";
      for(int i = 0; i < 8; i++)
         hex += StringFormat("%02x", hash[i]);
      return hex;
     }

   void              SendError(const long re, const string code, const string message)
     {
      w.Reset();
      Header(EB_MSG_ERROR, re >= 0 ? 5 : 4);
      if(re >= 0)
         w.KInt(EB_K_RE, re);
      w.KStr(EB_K_CODE, code);
      w.KStr(EB_K_MESSAGE, message);
      Flush();
     }

   bool              SendPositions(void)
     {
      w.Reset();
      Header(EB_MSG_POSITIONS, 3);
      w.Str(EB_K_POSITIONS);
      EB_WritePositions(w);
      return Flush();
     }

   void              SendState(void)
     {
      stateDirty = false;
      if(!SendPositions())
         return;
      w.Reset();
      Header(EB_MSG_ORDERS, 3);
      w.Str(EB_K_ORDERS);
      EB_WriteOrders(w);
      if(!Flush())
         return;
      SendAccount();
     }

   void              SendAccount(void)
     {
      w.Reset();
      Header(EB_MSG_ACCOUNT, 3);
      w.Str(EB_K_ACCOUNT);
      EB_WriteAccount(w);
      Flush();
     }

   // ------------------------------------------------------------ streaming
   int               StreamTicks(void)
     {
      int sent = 0;
      MqlTick buf[];
      for(int s = 0; s < ArraySize(ticks) && welcomed; s++)
        {
         int got = CopyTicksRange(ticks[s].symbol, buf, COPY_TICKS_ALL, (ulong)ticks[s].lastMsc, 0);
         if(got <= 0)
            continue;
         // ticks at lastMsc that were already sent come first: skip them
         int first = 0;
         while(first < got && buf[first].time_msc == ticks[s].lastMsc && first < ticks[s].sentAtLast)
            first++;
         if(first >= got)
            continue;
         while(first < got && welcomed)
           {
            int n = got - first;
            if(n > EB_MAX_TICKS_PER_MSG)
               n = EB_MAX_TICKS_PER_MSG;
            w.Reset();
            Header(EB_MSG_TICKS, 4);
            w.KStr(EB_K_SYMBOL, ticks[s].symbol);
            w.Str(EB_K_TICKS);
            w.ArrayHeader(n);
            for(int i = first; i < first + n; i++)
               EB_WriteTick(w, buf[i]);
            if(!Flush())
               return sent;
            sent++;
            first += n;
           }
         long last = buf[got - 1].time_msc;
         int same = 0;
         for(int i = got - 1; i >= 0 && buf[i].time_msc == last; i--)
            same++;
         if(last == ticks[s].lastMsc)
            ticks[s].sentAtLast += got - ticks[s].sentAtLast;
         else
           {
            ticks[s].lastMsc = last;
            ticks[s].sentAtLast = same;
           }
        }
      return sent;
     }

   void              StreamBars(void)
     {
      MqlRates rates[];
      bool positionsSent = false; // once per call: the prices do not move between the series
      for(int b = 0; b < ArraySize(bars) && welcomed; b++)
        {
         // the last closed bars (index 0 is the one still forming)
         int got = CopyRates(bars[b].symbol, EB_TimeframeEnum(bars[b].tf), 1, 10, rates);
         if(got <= 0)
            continue;
         if(bars[b].lastBar < 0)
           {
            // history was not ready at subscription: the first bars it shows are the baseline, not new bars
            // (sending them would have strategies act on bars that closed long ago)
            bars[b].lastBar = (long)rates[got - 1].time;
            continue;
           }
         bool accountSent = false;
         for(int i = 0; i < got; i++)
           {
            if((long)rates[i].time <= bars[b].lastBar)
               continue;
            if(!accountSent)
              {
               // first, so whoever handles BAR sees current equity and each position's current profit (a
               // strategy's own daily loss limit counts its floating P&L)
               if(!positionsSent && !SendPositions())
                  return;
               positionsSent = true;
               SendAccount();
               accountSent = true;
              }
            w.Reset();
            Header(EB_MSG_BAR, 5);
            w.KStr(EB_K_SYMBOL, bars[b].symbol);
            w.KStr(EB_K_TIMEFRAME, EB_TimeframeName(bars[b].tf));
            w.Str(EB_K_BAR);
            EB_WriteBar(w, rates[i]);
            if(!Flush())
               return;
            bars[b].lastBar = (long)rates[i].time;
           }
        }
     }

   void              Subscribe(const int symbolsNode, const int barsNode)
     {
      // ticks: keep the cursor of symbols already streamed
      EbTickSub old[];
      int oldCount = ArraySize(ticks);
      ArrayResize(old, oldCount);
      for(int i = 0; i < oldCount; i++)
        {
         old[i].symbol = ticks[i].symbol;
         old[i].lastMsc = ticks[i].lastMsc;
         old[i].sentAtLast = ticks[i].sentAtLast;
        }
      int n = doc.Len(symbolsNode);
      // depth-of-market subscriptions wake the EA (OnBookEvent) on the other symbols' quotes; ticks are still
      // read with CopyTicksRange, so a broker without market depth only costs the timer's delay
      for(int i = 0; i < oldCount; i++)
         if(old[i].symbol != _Symbol)
            MarketBookRelease(old[i].symbol);
      ArrayResize(ticks, 0);
      for(int i = 0; i < n; i++)
        {
         string sym = doc.Str(doc.Item(symbolsNode, i));
         if(sym == "")
            continue;
         if(!SymbolSelect(sym, true))
           {
            Print("ExecutorBridge: the host subscribed ", sym, " but this terminal has no such symbol; add it to Market Watch.");
            continue;
           }
         int k = ArraySize(ticks);
         ArrayResize(ticks, k + 1);
         ticks[k].symbol = sym;
         if(sym != _Symbol)
            MarketBookAdd(sym);
         ticks[k].sentAtLast = 0;
         ticks[k].lastMsc = -1;
         for(int j = 0; j < oldCount; j++)
            if(old[j].symbol == sym)
              {
               ticks[k].lastMsc = old[j].lastMsc;
               ticks[k].sentAtLast = old[j].sentAtLast;
              }
         if(ticks[k].lastMsc < 0)
           {
            MqlTick t;
            if(SymbolInfoTick(sym, t) && t.time_msc > 0)
               ticks[k].lastMsc = t.time_msc; // the current tick goes out first
            else
               ticks[k].lastMsc = (long)TimeCurrent() * 1000; // no tick yet: from now on, never the whole history
           }
        }
      // bars: start after the last closed bar, unless already streamed
      EbBarSub oldBars[];
      int oldBarCount = ArraySize(bars);
      ArrayResize(oldBars, oldBarCount);
      for(int i = 0; i < oldBarCount; i++)
        {
         oldBars[i].symbol = bars[i].symbol;
         oldBars[i].tf = bars[i].tf;
         oldBars[i].lastBar = bars[i].lastBar;
        }
      int m = doc.Len(barsNode);
      ArrayResize(bars, 0);
      for(int i = 0; i < m; i++)
        {
         int pair = doc.Item(barsNode, i);
         string sym = doc.Str(doc.Item(pair, 0));
         int tf = EB_TimeframeIndex(doc.Str(doc.Item(pair, 1)));
         if(sym == "" || tf < 0 || !SymbolSelect(sym, true))
            continue;
         int k = ArraySize(bars);
         ArrayResize(bars, k + 1);
         bars[k].symbol = sym;
         bars[k].tf = tf;
         bars[k].lastBar = -1;
         for(int j = 0; j < oldBarCount; j++)
            if(oldBars[j].symbol == sym && oldBars[j].tf == tf)
               bars[k].lastBar = oldBars[j].lastBar;
         if(bars[k].lastBar < 0)
           {
            MqlRates r[];
            if(CopyRates(sym, EB_TimeframeEnum(tf), 1, 1, r) == 1)
               bars[k].lastBar = (long)r[0].time;
            // else: no history yet; StreamBars takes the baseline when it arrives
           }
        }
     }

   // ------------------------------------------------------------ receiving
   void              Dispatch(const int n)
     {
      if(!doc.Parse(inbuf, n))
        {
         SendError(-1, EB_ERR_MALFORMED, "not valid MessagePack: " + doc.error);
         return;
        }
      if(doc.Kind(0) != MP_MAP)
        {
         SendError(-1, EB_ERR_MALFORMED, "expected a map with \"type\" and \"seq\"");
         return;
        }
      long type = doc.GetLong(0, EB_K_TYPE, -1);
      long seq = doc.GetLong(0, EB_K_SEQ, -1);
      long id = doc.GetLong(0, EB_K_ID, -1);
      if(seq != inSeq + 1)
        {
         seqGaps++;
         Print("ExecutorBridge: message sequence gap: expected ", inSeq + 1, ", got ", seq);
        }
      inSeq = seq;
      if(!welcomed && type != EB_MSG_WELCOME && type != EB_MSG_REJECT)
         return;
      switch((int)type)
        {
         case EB_MSG_WELCOME:
            OnWelcome();
            return;
         case EB_MSG_REJECT:
            OnReject();
            return;
         case EB_MSG_SUBSCRIBE:
            Subscribe(doc.Find(0, EB_K_SYMBOLS), doc.Find(0, EB_K_BARS));
            return;
         case EB_MSG_PING:
            w.Reset();
            Header(EB_MSG_PONG, 3);
            w.KInt(EB_K_TS, doc.GetLong(0, EB_K_TS, 0));
            Flush();
            return;
         case EB_MSG_PONG:
            return;
         case EB_MSG_ERROR:
            Print("ExecutorBridge: the host reports ", doc.GetStr(0, EB_K_CODE), ": ", doc.GetStr(0, EB_K_MESSAGE));
            return;
         case EB_MSG_SPEC_REQUEST:
            OnSpecRequest(id);
            return;
         case EB_MSG_HISTORY_REQUEST:
            OnHistoryRequest(id);
            return;
         case EB_MSG_SNAPSHOT_REQUEST:
            OnSnapshotRequest(id);
            return;
         case EB_MSG_OPEN:
         case EB_MSG_PLACE_PENDING:
         case EB_MSG_CLOSE:
         case EB_MSG_MODIFY:
         case EB_MSG_MODIFY_ORDER:
         case EB_MSG_CANCEL:
         case EB_MSG_CLOSE_ALL:
            OnIntent((int)type, id);
            return;
        }
      SendError(id, EB_ERR_UNKNOWN_TYPE, "unknown message type " + IntegerToString(type));
     }

   void              OnWelcome(void)
     {
      welcomed = true;
      everWelcomed = true;
      failedConnects = 0;
      backoffMs = 500;
      lostSince = 0;
      lostHandled = false;
      long hb = doc.GetLong(0, EB_K_HEARTBEAT_MS, 5000);
      heartbeatMs = (uint)(hb > 100 ? hb : 100);
      lastPingSent = GetTickCount();
      Subscribe(doc.Find(0, EB_K_SYMBOLS), doc.Find(0, EB_K_BARS));
      Print("ExecutorBridge: connected to the host at ", host, ":", port, ", session ", doc.GetStr(0, EB_K_SESSION_ID),
            ", ", ArraySize(ticks), " symbols, ", ArraySize(bars), " bar streams.");
      stateDirty = true;
     }

   void              OnReject(void)
     {
      string code = doc.GetStr(0, EB_K_CODE);
      string message = doc.GetStr(0, EB_K_MESSAGE);
      if(code == EB_REJECT_BAD_TOKEN)
        {
         halted = true;
         Alert("ExecutorBridge: the host refused the token. Run `mt5-executor token` on this computer and paste the token into the EA's inputs. (", message, ")");
        }
      else
         if(code == EB_REJECT_VERSION)
           {
            halted = true;
            Alert("ExecutorBridge: protocol version mismatch - this EA speaks version ", EB_PROTOCOL_VERSION,
                  ". Install the EA that comes with your mt5-executor (mql5/ folder) and compile it again. (", message, ")");
           }
         else
            if(code == EB_REJECT_REPLACED)
              {
               // Two EAs on one account (two charts, or two terminals): the host keeps the newest connection.
               // Reconnecting would replace that one, which would reconnect in turn - a loop. The newest wins;
               // this one stops until it is re-initialised (change an input, or re-attach it).
               halted = true;
               Alert("ExecutorBridge: another ExecutorBridge connected for this account and replaced this one (", message,
                     "). Only one may run per account: remove the other, or re-attach this one to take over. This one stops connecting.");
              }
            else
               Print("ExecutorBridge: the host closed the session: ", code, ": ", message);
      ws.Close(1000, "rejected");
      ws.error = "rejected: " + code;
      OnLost(); // the host-lost grace period starts now (a shutdown, a replaced session, a refused token)
     }

   void              OnSpecRequest(const long id)
     {
      string sym = doc.GetStr(0, EB_K_SYMBOL);
      if(sym == "" || !SymbolSelect(sym, true))
        {
         SendError(id, EB_ERR_NOT_FOUND, "symbol " + sym + " is not in Market Watch");
         return;
        }
      w.Reset();
      Header(EB_MSG_SPEC, 4);
      w.KInt(EB_K_RE, id);
      w.Str(EB_K_SPEC);
      EB_WriteSpec(w, sym);
      Flush();
     }

   void              OnHistoryRequest(const long id)
     {
      string sym = doc.GetStr(0, EB_K_SYMBOL);
      string tfName = doc.GetStr(0, EB_K_TIMEFRAME);
      int tf = EB_TimeframeIndex(tfName);
      long from = doc.GetLong(0, EB_K_FROM, 0);
      long count = doc.GetLong(0, EB_K_COUNT, 0);
      if(count > EB_MAX_HISTORY_BARS)
         count = EB_MAX_HISTORY_BARS;
      if(sym == "" || tf < 0 || !SymbolSelect(sym, true))
        {
         SendError(id, EB_ERR_NOT_FOUND, "no history for " + sym + " " + tfName);
         return;
        }
      ENUM_TIMEFRAMES period = EB_TimeframeEnum(tf);
      MqlRates forming[];
      MqlRates rates[];
      int got = -1;
      if(CopyRates(sym, period, 0, 1, forming) == 1)
        {
         datetime stop = forming[0].time - 1;
         datetime start = (datetime)from;
         got = (stop >= start) ? CopyRates(sym, period, start, stop, rates) : 0;
        }
      if(got < 0)
        {
         SendError(id, EB_ERR_NOT_FOUND, "no history for " + sym + " " + tfName + " (error " + IntegerToString(GetLastError()) + ")");
         return;
        }
      int n = got;
      if(n > (int)count)
         n = (int)count;
      w.Reset();
      Header(EB_MSG_HISTORY, 6);
      w.KInt(EB_K_RE, id);
      w.KStr(EB_K_SYMBOL, sym);
      w.KStr(EB_K_TIMEFRAME, tfName);
      w.Str(EB_K_BARS);
      w.ArrayHeader(n);
      for(int i = 0; i < n; i++)
         EB_WriteBar(w, rates[i]);
      Flush();
     }

   void              OnSnapshotRequest(const long id)
     {
      w.Reset();
      Header(EB_MSG_SNAPSHOT, 8);
      w.KInt(EB_K_RE, id);
      w.Str(EB_K_ACCOUNT);
      EB_WriteAccount(w);
      w.Str(EB_K_POSITIONS);
      EB_WritePositions(w);
      w.Str(EB_K_ORDERS);
      EB_WriteOrders(w);
      // deals are paged: as many as fit one frame (a long history is tens of thousands), dealsMore says ask again
      long offset = doc.GetLong(0, EB_K_DEALS_OFFSET, 0);
      bool more = false;
      w.Str(EB_K_DEALS);
      EB_WriteDeals(w, (datetime)doc.GetLong(0, EB_K_DEALS_FROM, 0), offset < 0 ? 0 : (int)MathMin(offset, (long)INT_MAX),
                    EB_MAX_FRAME_BYTES - 64 - 32 - w.len, more);
      w.KBool(EB_K_DEALS_MORE, more);
      Flush();
     }

   // ------------------------------------------------------------ intents
   void              OnIntent(const int type, const long id)
     {
      string intentId = doc.GetStr(0, EB_K_INTENT_ID);
      if(intentId == "" || StringLen(intentId) > EB_MAX_INTENT_ID_LENGTH)
        {
         SendError(id, EB_ERR_MALFORMED, "intentId must be 1 to " + IntegerToString(EB_MAX_INTENT_ID_LENGTH) + " characters");
         return;
        }
      int slot = ring.Find(intentId);
      if(slot >= 0)
        {
         duplicates++;
         if(ring.slots[slot].fields == EB_RING_STARTED)
           {
            // executed when the EA stopped mid-OrderSend: never again; the host reconciles from the terminal's state
            core.Reset();
            MqlTradeResult unknown;
            ZeroMemory(unknown);
            unknown.retcode = TRADE_RETCODE_ERROR;
            int f = WriteResult(core, unknown, 0, "sent to the broker before the EA restarted; the outcome is unknown here - reconcile from positions, orders and deals");
            SendResult(id, intentId, true, core.buf, core.len, f);
            return;
           }
         SendResult(id, intentId, true, ring.slots[slot].body, ArraySize(ring.slots[slot].body), ring.slots[slot].fields);
         return;
        }
      // on disk before OrderSend: a restart in between must not execute it again
      uchar none[];
      ring.Put(intentId, EB_RING_STARTED, none, 0);
      ring.Append(intentId, EB_RING_STARTED, none, 0);
      core.Reset();
      int fields = Execute(type);
      intentsExecuted++;
      // remember before answering: a result lost on the way is answered from here
      ring.Put(intentId, fields, core.buf, core.len);
      ring.Append(intentId, fields, core.buf, core.len);
      SendState(); // positions, orders and account first - but they may not show the deal yet: the result
                   // carries the deal, order and position itself, and the state goes out again next time
      SendResult(id, intentId, false, core.buf, core.len, fields);
      stateDirty = true;
     }

   void              SendResult(const long id, const string intentId, const bool duplicate, const uchar &body[], const int bodyLen,
                                const int fields)
     {
      w.Reset();
      Header(EB_MSG_INTENT_RESULT, 5 + fields);
      w.KInt(EB_K_RE, id);
      w.KStr(EB_K_INTENT_ID, intentId);
      w.KBool(EB_K_DUPLICATE, duplicate);
      w.Raw(body, 0, bodyLen);
      Flush();
     }

   // result fields into `o`, returns how many
   int               WriteResult(MpWriter &o, const MqlTradeResult &r, const ulong position, const string comment)
     {
      uint retcode = r.retcode;
      int f = 3;
      o.KInt(EB_K_RETCODE, retcode);
      o.KStr(EB_K_CLASS, EB_RetcodeClass(retcode));
      o.KStr(EB_K_COMMENT, comment);
      if(r.retcode_external != 0)
        {
         o.KInt(EB_K_RETCODE_EXTERNAL, r.retcode_external);
         f++;
        }
      if(r.order != 0)
        {
         o.KUInt(EB_K_ORDER, r.order);
         f++;
        }
      if(r.deal != 0)
        {
         o.KUInt(EB_K_DEAL, r.deal);
         f++;
        }
      if(position != 0)
        {
         o.KUInt(EB_K_POSITION, position);
         f++;
        }
      if(r.volume != 0.0)
        {
         o.KDouble(EB_K_VOLUME, r.volume);
         f++;
        }
      if(r.price != 0.0)
        {
         o.KDouble(EB_K_PRICE, r.price);
         f++;
        }
      if(r.bid != 0.0)
        {
         o.KDouble(EB_K_BID, r.bid);
         f++;
        }
      if(r.ask != 0.0)
        {
         o.KDouble(EB_K_ASK, r.ask);
         f++;
        }
      return f;
     }

   // The filling modes to try, in order (at most two are sent: one retry on 10030).
   // Market orders: SYMBOL_FILLING_MODE's bits say FOK (1) and IOC (2) - bit 4 is BOC, which market orders
   // never take. RETURN has no bit: it depends on the execution mode (refused under Market execution). Under
   // Request and Instant execution FOK is always accepted. Pending orders: RETURN (the order rests), then FOK
   // and IOC as the bits allow, for servers that refuse RETURN on pending orders.
   int               FillingModes(const MqlTradeRequest &req, int &modes[])
     {
      int n = 0;
      ArrayResize(modes, 4);
      long mask = SymbolInfoInteger(req.symbol, SYMBOL_FILLING_MODE);
      long exe = SymbolInfoInteger(req.symbol, SYMBOL_TRADE_EXEMODE);
      bool fok = (mask & SYMBOL_FILLING_FOK) != 0;
      bool ioc = (mask & SYMBOL_FILLING_IOC) != 0;
      bool ret = true;
      if(req.action == TRADE_ACTION_DEAL)
        {
         if(exe == SYMBOL_TRADE_EXECUTION_REQUEST || exe == SYMBOL_TRADE_EXECUTION_INSTANT)
            fok = true;
         ret = exe != SYMBOL_TRADE_EXECUTION_MARKET;
         if(fillingOverride >= ORDER_FILLING_FOK && fillingOverride <= ORDER_FILLING_RETURN)
            n = EB_AddMode(modes, n, fillingOverride);
         if(fok)
            n = EB_AddMode(modes, n, ORDER_FILLING_FOK);
         if(ioc)
            n = EB_AddMode(modes, n, ORDER_FILLING_IOC);
         if(ret)
            n = EB_AddMode(modes, n, ORDER_FILLING_RETURN);
         if(n == 0)
            n = EB_AddMode(modes, n, ORDER_FILLING_FOK); // nothing allowed: the broker's answer, verbatim
        }
      else
        {
         n = EB_AddMode(modes, n, ORDER_FILLING_RETURN);
         if(fok)
            n = EB_AddMode(modes, n, ORDER_FILLING_FOK);
         if(ioc)
            n = EB_AddMode(modes, n, ORDER_FILLING_IOC);
        }
      return n;
     }

   // OrderSend with the filling rule (FillingModes): on 10030 one retry with the next mode
   bool              Send(MqlTradeRequest &req, MqlTradeResult &res)
     {
      int modes[];
      int n = 1;
      if(req.action == TRADE_ACTION_DEAL || req.action == TRADE_ACTION_PENDING)
         n = FillingModes(req, modes);
      else
        {
         ArrayResize(modes, 1);
         modes[0] = ORDER_FILLING_RETURN;
        }
      bool ok = false;
      for(int i = 0; i < n && i < 2; i++)
        {
         req.type_filling = (ENUM_ORDER_TYPE_FILLING)modes[i];
         ZeroMemory(res);
         orderSends++;
         ok = OrderSend(req, res);
         if(res.retcode != TRADE_RETCODE_INVALID_FILL)
            break;
        }
      if(res.retcode == TRADE_RETCODE_CLIENT_DISABLES_AT)
         Print("ExecutorBridge: Algo Trading is off (10027): press the Algo Trading button in the toolbar and tick 'Allow Algo Trading' in the EA's settings.");
      return ok;
     }

   // The current quote of a symbol, selected into Market Watch first (a symbol outside it has no quote). false
   // with `res` set (10021, or 10013 for a symbol this terminal does not have) when there is none: MQL5 does
   // not zero locals, and a request priced with garbage must never go out.
   bool              Quote(const string sym, MqlTick &tick, MqlTradeResult &res)
     {
      ZeroMemory(tick);
      if(!SymbolSelect(sym, true))
        {
         res.retcode = TRADE_RETCODE_INVALID;
         res.comment = "symbol " + sym + " is not in this terminal";
         return false;
        }
      if(!SymbolInfoTick(sym, tick) || tick.bid <= 0.0 || tick.ask <= 0.0)
        {
         res.retcode = TRADE_RETCODE_PRICE_OFF;
         res.comment = "no current quote for " + sym + " (error " + IntegerToString(GetLastError()) + ")";
         return false;
        }
      return true;
     }

   // The position a market deal opened or changed, without relying on the terminal's lists having caught up with
   // the deal: from the deal when the history shows it; else on a hedging account the position is identified by
   // the ticket of the order that opened it; on a netting account by the symbol's position.
   ulong             PositionOf(const MqlTradeResult &res, const string sym)
     {
      if(res.deal != 0 && HistoryDealSelect(res.deal))
        {
         ulong id = (ulong)HistoryDealGetInteger(res.deal, DEAL_POSITION_ID);
         if(id != 0)
            return id;
        }
      if(AccountInfoInteger(ACCOUNT_MARGIN_MODE) == EB_MARGIN_HEDGING)
         return res.order;
      if(PositionSelect(sym))
         return (ulong)PositionGetInteger(POSITION_IDENTIFIER);
      return 0;
     }

   string            ResultComment(const MqlTradeResult &res)
     {
      if(res.retcode == 0)
         return "OrderSend failed, error " + IntegerToString(GetLastError());
      return res.comment;
     }

   bool              ClosePosition(const ulong ticket, const double volume, const long deviation, const long m,
                                   const string comment, MqlTradeResult &res)
     {
      ZeroMemory(res);
      if(!PositionSelectByTicket(ticket))
         return false;
      string sym = PositionGetString(POSITION_SYMBOL);
      long ptype = PositionGetInteger(POSITION_TYPE);
      double posVolume = PositionGetDouble(POSITION_VOLUME);
      MqlTick tick;
      if(!Quote(sym, tick, res))
         return false;
      MqlTradeRequest req;
      ZeroMemory(req);
      req.action = TRADE_ACTION_DEAL;
      req.symbol = sym;
      req.position = ticket;
      req.volume = volume > 0.0 ? volume : posVolume;
      if(ptype == POSITION_TYPE_BUY)
        {
         req.type = ORDER_TYPE_SELL;
         req.price = tick.bid;
        }
      else
        {
         req.type = ORDER_TYPE_BUY;
         req.price = tick.ask;
        }
      req.deviation = (ulong)deviation;
      req.magic = (ulong)m;
      req.comment = comment;
      return Send(req, res);
     }

   // a CLOSE of one position into `o`; returns the field count
   int               CloseInto(MpWriter &o, const ulong ticket, const double volume, const long deviation, const long m,
                               const string comment, uint &retcode)
     {
      MqlTradeResult res;
      ZeroMemory(res);
      if(!PositionSelectByTicket(ticket))
        {
         bool closed = HistorySelectByPosition((long)ticket) && HistoryDealsTotal() > 0;
         res.retcode = closed ? TRADE_RETCODE_POSITION_CLOSED : TRADE_RETCODE_INVALID;
         retcode = res.retcode;
         return WriteResult(o, res, 0, closed ? "position " + IntegerToString((long)ticket) + " is already closed"
                            : "position " + IntegerToString((long)ticket) + " not found");
        }
      ClosePosition(ticket, volume, deviation, m, comment, res);
      retcode = res.retcode;
      return WriteResult(o, res, res.retcode == TRADE_RETCODE_DONE ? ticket : 0, ResultComment(res));
     }

   int               Execute(const int type)
     {
      string comment = EB_INTENT_COMMENT_PREFIX + doc.GetStr(0, EB_K_INTENT_ID);
      long m = doc.GetLong(0, EB_K_MAGIC, 0);
      MqlTradeRequest req;
      MqlTradeResult res;
      ZeroMemory(req);
      ZeroMemory(res);
      if(type == EB_MSG_OPEN)
        {
         string sym = doc.GetStr(0, EB_K_SYMBOL);
         int side = (int)doc.GetLong(0, EB_K_SIDE, 0);
         req.action = TRADE_ACTION_DEAL;
         req.symbol = sym;
         req.type = side == 0 ? ORDER_TYPE_BUY : ORDER_TYPE_SELL;
         req.volume = doc.GetDouble(0, EB_K_VOLUME, 0.0);
         double price = doc.GetDouble(0, EB_K_PRICE, 0.0);
         MqlTick tick;
         if(!Quote(sym, tick, res))
            return WriteResult(core, res, 0, res.comment);
         if(price <= 0.0)
            price = side == 0 ? tick.ask : tick.bid;
         req.price = price;
         req.sl = doc.GetDouble(0, EB_K_SL, 0.0);
         req.tp = doc.GetDouble(0, EB_K_TP, 0.0);
         req.deviation = (ulong)doc.GetLong(0, EB_K_DEVIATION, 0);
         req.magic = (ulong)m;
         req.comment = comment;
         Send(req, res);
         ulong position = 0;
         if(res.retcode == TRADE_RETCODE_DONE || res.retcode == TRADE_RETCODE_DONE_PARTIAL)
            position = PositionOf(res, sym);
         return WriteResult(core, res, position, ResultComment(res));
        }
      if(type == EB_MSG_PLACE_PENDING)
        {
         req.action = TRADE_ACTION_PENDING;
         req.symbol = doc.GetStr(0, EB_K_SYMBOL);
         if(!SymbolSelect(req.symbol, true))
           {
            res.retcode = TRADE_RETCODE_INVALID;
            return WriteResult(core, res, 0, "symbol " + req.symbol + " is not in this terminal");
           }
         req.type = (ENUM_ORDER_TYPE)doc.GetLong(0, EB_K_ORDER_TYPE, 2);
         req.volume = doc.GetDouble(0, EB_K_VOLUME, 0.0);
         req.price = doc.GetDouble(0, EB_K_PRICE, 0.0);
         req.stoplimit = doc.GetDouble(0, EB_K_STOP_LIMIT, 0.0);
         req.sl = doc.GetDouble(0, EB_K_SL, 0.0);
         req.tp = doc.GetDouble(0, EB_K_TP, 0.0);
         long exp = doc.GetLong(0, EB_K_EXPIRATION, 0);
         req.expiration = (datetime)exp;
         req.type_time = exp > 0 ? ORDER_TIME_SPECIFIED : ORDER_TIME_GTC;
         req.magic = (ulong)m;
         req.comment = comment;
         Send(req, res);
         return WriteResult(core, res, 0, ResultComment(res));
        }
      if(type == EB_MSG_CLOSE)
        {
         uint rc = 0;
         return CloseInto(core, doc.GetULong(0, EB_K_TICKET), doc.GetDouble(0, EB_K_VOLUME, 0.0),
                          doc.GetLong(0, EB_K_DEVIATION, 0), m, comment, rc);
        }
      if(type == EB_MSG_MODIFY)
        {
         ulong ticket = doc.GetULong(0, EB_K_TICKET);
         req.action = TRADE_ACTION_SLTP;
         req.position = ticket;
         if(PositionSelectByTicket(ticket))
            req.symbol = PositionGetString(POSITION_SYMBOL);
         req.sl = doc.GetDouble(0, EB_K_SL, 0.0);
         req.tp = doc.GetDouble(0, EB_K_TP, 0.0);
         req.magic = (ulong)m;
         Send(req, res);
         return WriteResult(core, res, 0, ResultComment(res));
        }
      if(type == EB_MSG_MODIFY_ORDER)
        {
         req.action = TRADE_ACTION_MODIFY;
         req.order = doc.GetULong(0, EB_K_TICKET);
         req.price = doc.GetDouble(0, EB_K_PRICE, 0.0);
         req.sl = doc.GetDouble(0, EB_K_SL, 0.0);
         req.tp = doc.GetDouble(0, EB_K_TP, 0.0);
         long exp = doc.GetLong(0, EB_K_EXPIRATION, 0);
         req.expiration = (datetime)exp;
         req.type_time = exp > 0 ? ORDER_TIME_SPECIFIED : ORDER_TIME_GTC;
         // what the intent does not change is the order's own: its symbol, its stop-limit price (a stop-limit
         // order sent 0 is refused or loses it) and its time type (a DAY order stays DAY)
         if(OrderSelect(req.order))
           {
            req.symbol = OrderGetString(ORDER_SYMBOL);
            req.stoplimit = OrderGetDouble(ORDER_PRICE_STOPLIMIT);
            ENUM_ORDER_TYPE_TIME tt = (ENUM_ORDER_TYPE_TIME)OrderGetInteger(ORDER_TYPE_TIME);
            if(exp > 0)
               req.type_time = (tt == ORDER_TIME_SPECIFIED_DAY) ? ORDER_TIME_SPECIFIED_DAY : ORDER_TIME_SPECIFIED;
            else
               if(tt == ORDER_TIME_DAY)
                  req.type_time = ORDER_TIME_DAY;
           }
         Send(req, res);
         return WriteResult(core, res, 0, ResultComment(res));
        }
      if(type == EB_MSG_CANCEL)
        {
         req.action = TRADE_ACTION_REMOVE;
         req.order = doc.GetULong(0, EB_K_TICKET);
         Send(req, res);
         return WriteResult(core, res, 0, ResultComment(res));
        }
      // CLOSE_ALL: every matching position, then every matching pending order
      string only = doc.GetStr(0, EB_K_SYMBOL);
      bool onlyMagic = doc.GetBool(0, EB_K_ONLY_MAGIC);
      long deviation = doc.GetLong(0, EB_K_DEVIATION, 0);
      ulong positions[];
      ulong orders[];
      int np = 0;
      int no = 0;
      int total = PositionsTotal();
      ArrayResize(positions, total);
      for(int i = 0; i < total; i++)
        {
         ulong t = PositionGetTicket(i);
         if(t == 0)
            continue;
         if(only != "" && PositionGetString(POSITION_SYMBOL) != only)
            continue;
         if(onlyMagic && PositionGetInteger(POSITION_MAGIC) != m)
            continue;
         positions[np] = t;
         np++;
        }
      total = OrdersTotal();
      ArrayResize(orders, total);
      for(int i = 0; i < total; i++)
        {
         ulong t = OrderGetTicket(i);
         if(t == 0)
            continue;
         if(only != "" && OrderGetString(ORDER_SYMBOL) != only)
            continue;
         if(onlyMagic && OrderGetInteger(ORDER_MAGIC) != m)
            continue;
         orders[no] = t;
         no++;
        }
      sub.Reset();
      uint firstFail = 0;
      string failComment = "";
      MpWriter item;
      for(int i = 0; i < np; i++)
        {
         item.Reset();
         uint rc = 0;
         int f = CloseInto(item, positions[i], 0.0, deviation, m, comment, rc);
         sub.MapHeader(f + 1);
         sub.KUInt(EB_K_TICKET, positions[i]);
         sub.Raw(item.buf, 0, item.len);
         if(rc != TRADE_RETCODE_DONE && firstFail == 0)
           {
            firstFail = rc;
            failComment = "position " + IntegerToString((long)positions[i]);
           }
        }
      for(int i = 0; i < no; i++)
        {
         ZeroMemory(req);
         req.action = TRADE_ACTION_REMOVE;
         req.order = orders[i];
         Send(req, res);
         item.Reset();
         int f = WriteResult(item, res, 0, ResultComment(res));
         sub.MapHeader(f + 1);
         sub.KUInt(EB_K_TICKET, orders[i]);
         sub.Raw(item.buf, 0, item.len);
         if(res.retcode != TRADE_RETCODE_DONE && firstFail == 0)
           {
            firstFail = res.retcode;
            failComment = "order " + IntegerToString((long)orders[i]) + ": " + ResultComment(res);
           }
        }
      int n = np + no;
      uint retcode = firstFail == 0 ? TRADE_RETCODE_DONE : firstFail;
      core.KInt(EB_K_RETCODE, retcode);
      core.KStr(EB_K_CLASS, EB_RetcodeClass(retcode));
      if(firstFail == 0)
         core.KStr(EB_K_COMMENT, IntegerToString(n) + " closed");
      else
         core.KStr(EB_K_COMMENT, IntegerToString(n - 1) + " others attempted; first failure: " + failComment);
      core.Str(EB_K_RESULTS);
      core.ArrayHeader(n);
      core.Raw(sub.buf, 0, sub.len);
      return 4;
     }

   // ------------------------------------------------------------ events
   void              OnTradeTx(const MqlTradeTransaction &trans)
     {
      stateDirty = true;
      if(!welcomed || trans.type == TRADE_TRANSACTION_REQUEST)
         return;
      bool isDeal = trans.type == TRADE_TRANSACTION_DEAL_ADD && trans.deal != 0 && HistoryDealSelect(trans.deal);
      w.Reset();
      Header(EB_MSG_TRADE_TX, isDeal ? 21 : 15);
      w.KInt(EB_K_TX_TYPE, trans.type);
      w.KUInt(EB_K_DEAL, trans.deal);
      w.KUInt(EB_K_ORDER, trans.order);
      w.KUInt(EB_K_POSITION, trans.position);
      w.KStr(EB_K_SYMBOL, trans.symbol);
      w.KInt(EB_K_ORDER_TYPE, trans.order_type);
      w.KInt(EB_K_ORDER_STATE, trans.order_state);
      w.KInt(EB_K_DEAL_TYPE, trans.deal_type);
      w.KDouble(EB_K_PRICE, trans.price);
      w.KDouble(EB_K_SL, trans.price_sl);
      w.KDouble(EB_K_TP, trans.price_tp);
      w.KDouble(EB_K_VOLUME, trans.volume);
      if(isDeal)
        {
         w.KInt(EB_K_DEAL_ENTRY, HistoryDealGetInteger(trans.deal, DEAL_ENTRY));
         w.KDouble(EB_K_PROFIT, HistoryDealGetDouble(trans.deal, DEAL_PROFIT));
         w.KDouble(EB_K_SWAP, HistoryDealGetDouble(trans.deal, DEAL_SWAP));
         w.KDouble(EB_K_COMMISSION, HistoryDealGetDouble(trans.deal, DEAL_COMMISSION));
         w.KInt(EB_K_MAGIC, HistoryDealGetInteger(trans.deal, DEAL_MAGIC));
         w.KStr(EB_K_COMMENT, HistoryDealGetString(trans.deal, DEAL_COMMENT));
         w.KInt(EB_K_TIME_MSC, HistoryDealGetInteger(trans.deal, DEAL_TIME_MSC));
        }
      else
         w.KInt(EB_K_TIME_MSC, (long)TimeCurrent() * 1000);
      Flush();
     }
  };

#endif
