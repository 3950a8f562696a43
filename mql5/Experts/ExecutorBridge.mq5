//+------------------------------------------------------------------+
//| ExecutorBridge.mq5 - the thin EA of mt5-executor                  |
//| Streams ticks, bars and trade state to the local mt5-executor     |
//| host over a WebSocket and executes the host's order intents.      |
//| No strategy logic lives here. Setup: docs/ea.md                   |
//+------------------------------------------------------------------+
#property copyright "mt5-executor"
#property version   "1.00"
#property description "Bridge to the mt5-executor host on this computer. Add 127.0.0.1 to Tools > Options > Expert Advisors > Allow WebRequest for listed URL, enable Algo Trading, paste the token from `mt5-executor token`."

#include <ExecutorBridge/Bridge.mqh>

enum ENUM_EB_HOST_LOST
  {
   EB_HOST_LOST_NOTHING = 0,    // keep positions and orders
   EB_HOST_LOST_BLOCK_NEW = 1,  // delete own pending orders (no new exposure)
   EB_HOST_LOST_CLOSE_ALL = 2   // close own positions and delete own orders
  };

enum ENUM_EB_FILLING
  {
   EB_FILLING_AUTO = -1,        // FOK, IOC, RETURN as the symbol and its execution mode allow
   EB_FILLING_FOK = 0,          // FOK first
   EB_FILLING_IOC = 1,          // IOC first
   EB_FILLING_RETURN = 2        // RETURN first
  };

input group "Host"
input string InpHost = "127.0.0.1";                         // Host (keep 127.0.0.1)
input int    InpPort = 17551;                               // Port
input string InpToken = "";                                 // Token (run: mt5-executor token)
input group "Trading"
input long   InpMagic = 0;                                  // Magic of this EA's own orders (0 = none)
input ENUM_EB_FILLING InpFilling = EB_FILLING_AUTO;         // Filling mode
input group "Behaviour"
input int    InpTimerMs = 10;                               // Timer period, ms (the terminal fires every 10-16 ms at best)
input int    InpReplyWaitMs = 2;                            // After sending ticks, wait this long for the host's intent, ms (0 = off)
input ENUM_EB_HOST_LOST InpHostLost = EB_HOST_LOST_NOTHING; // When the host is lost
input int    InpHostLostGraceSec = 60;                      // Grace period before that, s

EbBridge g_bridge;

int OnInit()
  {
   if(InpToken == "")
     {
      Alert("ExecutorBridge: paste the bridge token into the EA's inputs (run `mt5-executor token` to see it).");
      return INIT_PARAMETERS_INCORRECT;
     }
   if(InpPort <= 0 || InpPort > 65535)
     {
      Alert("ExecutorBridge: InpPort must be 1..65535, got ", InpPort);
      return INIT_PARAMETERS_INCORRECT;
     }
   g_bridge.host = InpHost;
   g_bridge.port = InpPort;
   g_bridge.token = InpToken;
   g_bridge.magic = InpMagic;
   g_bridge.fillingOverride = (int)InpFilling;
   g_bridge.lostPolicy = (int)InpHostLost;
   g_bridge.lostGraceSec = InpHostLostGraceSec;
   g_bridge.replyWaitMs = InpReplyWaitMs < 0 ? 0 : (InpReplyWaitMs > 20 ? 20 : InpReplyWaitMs);
   EventSetMillisecondTimer(InpTimerMs > 0 ? InpTimerMs : 10);
   g_bridge.Start();
   return INIT_SUCCEEDED;
  }

void OnDeinit(const int reason)
  {
   EventKillTimer();
   g_bridge.Stop("EA removed");
  }

void OnTimer()
  {
   g_bridge.Service();
  }

void OnTick()
  {
   g_bridge.Service();
  }

// the other subscribed symbols' quotes (MarketBookAdd): serve them now rather than at the next timer event
void OnBookEvent(const string &symbol)
  {
   g_bridge.OnBook();
  }

void OnTradeTransaction(const MqlTradeTransaction &trans, const MqlTradeRequest &request, const MqlTradeResult &result)
  {
   g_bridge.OnTradeTx(trans);
  }
//+------------------------------------------------------------------+
