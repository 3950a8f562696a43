//+------------------------------------------------------------------+
//| Terminal.mqh - terminal state as protocol maps (account,          |
//| positions, orders, deals, symbol spec, bars, ticks)               |
//+------------------------------------------------------------------+
#ifndef EXECUTOR_BRIDGE_TERMINAL_MQH
#define EXECUTOR_BRIDGE_TERMINAL_MQH

#include "Protocol.mqh"
#include "MsgPack.mqh"

// append `mode` to modes[0..n) unless it is there; the new count
int EB_AddMode(int &modes[], const int n, const int mode)
  {
   for(int i = 0; i < n; i++)
      if(modes[i] == mode)
         return n;
   modes[n] = mode;
   return n + 1;
  }

bool EB_TradeAllowed(void)
  {
   return TerminalInfoInteger(TERMINAL_TRADE_ALLOWED) != 0 && MQLInfoInteger(MQL_TRADE_ALLOWED) != 0 &&
          AccountInfoInteger(ACCOUNT_TRADE_ALLOWED) != 0 && AccountInfoInteger(ACCOUNT_TRADE_EXPERT) != 0;
  }

void EB_WriteAccount(MpWriter &w)
  {
   w.MapHeader(19);
   w.KInt(EB_K_LOGIN, AccountInfoInteger(ACCOUNT_LOGIN));
   w.KStr(EB_K_SERVER, AccountInfoString(ACCOUNT_SERVER));
   w.KStr(EB_K_NAME, AccountInfoString(ACCOUNT_NAME));
   w.KStr(EB_K_COMPANY, AccountInfoString(ACCOUNT_COMPANY));
   w.KStr(EB_K_CURRENCY, AccountInfoString(ACCOUNT_CURRENCY));
   w.KInt(EB_K_CURRENCY_DIGITS, AccountInfoInteger(ACCOUNT_CURRENCY_DIGITS));
   w.KInt(EB_K_LEVERAGE, AccountInfoInteger(ACCOUNT_LEVERAGE));
   w.KInt(EB_K_MARGIN_MODE, AccountInfoInteger(ACCOUNT_MARGIN_MODE));
   w.KInt(EB_K_TRADE_MODE, AccountInfoInteger(ACCOUNT_TRADE_MODE));
   w.KDouble(EB_K_BALANCE, AccountInfoDouble(ACCOUNT_BALANCE));
   w.KDouble(EB_K_CREDIT, AccountInfoDouble(ACCOUNT_CREDIT));
   w.KDouble(EB_K_EQUITY, AccountInfoDouble(ACCOUNT_EQUITY));
   w.KDouble(EB_K_PROFIT, AccountInfoDouble(ACCOUNT_PROFIT));
   w.KDouble(EB_K_MARGIN, AccountInfoDouble(ACCOUNT_MARGIN));
   w.KDouble(EB_K_FREE_MARGIN, AccountInfoDouble(ACCOUNT_MARGIN_FREE));
   w.KDouble(EB_K_MARGIN_LEVEL, AccountInfoDouble(ACCOUNT_MARGIN_LEVEL));
   w.KDouble(EB_K_STOP_OUT_LEVEL, AccountInfoDouble(ACCOUNT_MARGIN_SO_SO));
   w.KBool(EB_K_TRADE_ALLOWED, EB_TradeAllowed());
   w.KInt(EB_K_SERVER_TIME, (long)TimeTradeServer());
  }

// the selected position (PositionGetTicket / PositionSelectByTicket)
void EB_WritePosition(MpWriter &w)
  {
   w.MapHeader(15);
   w.KUInt(EB_K_TICKET, (ulong)PositionGetInteger(POSITION_TICKET));
   w.KUInt(EB_K_IDENTIFIER, (ulong)PositionGetInteger(POSITION_IDENTIFIER));
   w.KStr(EB_K_SYMBOL, PositionGetString(POSITION_SYMBOL));
   w.KInt(EB_K_TYPE, PositionGetInteger(POSITION_TYPE));
   w.KDouble(EB_K_VOLUME, PositionGetDouble(POSITION_VOLUME));
   w.KDouble(EB_K_PRICE_OPEN, PositionGetDouble(POSITION_PRICE_OPEN));
   w.KDouble(EB_K_PRICE_CURRENT, PositionGetDouble(POSITION_PRICE_CURRENT));
   w.KDouble(EB_K_SL, PositionGetDouble(POSITION_SL));
   w.KDouble(EB_K_TP, PositionGetDouble(POSITION_TP));
   w.KInt(EB_K_TIME, PositionGetInteger(POSITION_TIME));
   w.KInt(EB_K_TIME_MSC, PositionGetInteger(POSITION_TIME_MSC));
   w.KInt(EB_K_MAGIC, PositionGetInteger(POSITION_MAGIC));
   w.KStr(EB_K_COMMENT, PositionGetString(POSITION_COMMENT));
   w.KDouble(EB_K_SWAP, PositionGetDouble(POSITION_SWAP));
   w.KDouble(EB_K_PROFIT, PositionGetDouble(POSITION_PROFIT));
  }

void EB_WritePositions(MpWriter &w)
  {
   int n = PositionsTotal();
   int written = 0;
   MpWriter items;
   for(int i = 0; i < n; i++)
     {
      if(PositionGetTicket(i) == 0) // selects the position
         continue;
      EB_WritePosition(items);
      written++;
     }
   w.ArrayHeader(written);
   w.Raw(items.buf, 0, items.len);
  }

// the selected pending order (OrderGetTicket / OrderSelect)
void EB_WriteOrder(MpWriter &w)
  {
   w.MapHeader(12);
   w.KUInt(EB_K_TICKET, (ulong)OrderGetInteger(ORDER_TICKET));
   w.KStr(EB_K_SYMBOL, OrderGetString(ORDER_SYMBOL));
   w.KInt(EB_K_TYPE, OrderGetInteger(ORDER_TYPE));
   w.KDouble(EB_K_VOLUME, OrderGetDouble(ORDER_VOLUME_CURRENT));
   w.KDouble(EB_K_PRICE_OPEN, OrderGetDouble(ORDER_PRICE_OPEN));
   w.KDouble(EB_K_STOP_LIMIT, OrderGetDouble(ORDER_PRICE_STOPLIMIT));
   w.KDouble(EB_K_SL, OrderGetDouble(ORDER_SL));
   w.KDouble(EB_K_TP, OrderGetDouble(ORDER_TP));
   w.KInt(EB_K_TIME_SETUP, OrderGetInteger(ORDER_TIME_SETUP));
   w.KInt(EB_K_EXPIRATION, OrderGetInteger(ORDER_TIME_EXPIRATION));
   w.KInt(EB_K_MAGIC, OrderGetInteger(ORDER_MAGIC));
   w.KStr(EB_K_COMMENT, OrderGetString(ORDER_COMMENT));
  }

void EB_WriteOrders(MpWriter &w)
  {
   int n = OrdersTotal();
   int written = 0;
   MpWriter items;
   for(int i = 0; i < n; i++)
     {
      ulong t = OrderGetTicket(i);
      if(t == 0)
         continue;
      EB_WriteOrder(items);
      written++;
     }
   w.ArrayHeader(written);
   w.Raw(items.buf, 0, items.len);
  }

void EB_WriteDeal(MpWriter &w, const ulong t)
  {
   w.MapHeader(16);
   w.KUInt(EB_K_TICKET, t);
   w.KUInt(EB_K_ORDER, (ulong)HistoryDealGetInteger(t, DEAL_ORDER));
   w.KUInt(EB_K_POSITION_ID, (ulong)HistoryDealGetInteger(t, DEAL_POSITION_ID));
   w.KStr(EB_K_SYMBOL, HistoryDealGetString(t, DEAL_SYMBOL));
   w.KInt(EB_K_TYPE, HistoryDealGetInteger(t, DEAL_TYPE));
   w.KInt(EB_K_ENTRY, HistoryDealGetInteger(t, DEAL_ENTRY));
   w.KDouble(EB_K_VOLUME, HistoryDealGetDouble(t, DEAL_VOLUME));
   w.KDouble(EB_K_PRICE, HistoryDealGetDouble(t, DEAL_PRICE));
   w.KDouble(EB_K_COMMISSION, HistoryDealGetDouble(t, DEAL_COMMISSION));
   w.KDouble(EB_K_SWAP, HistoryDealGetDouble(t, DEAL_SWAP));
   w.KDouble(EB_K_PROFIT, HistoryDealGetDouble(t, DEAL_PROFIT));
   w.KInt(EB_K_TIME, HistoryDealGetInteger(t, DEAL_TIME));
   w.KInt(EB_K_TIME_MSC, HistoryDealGetInteger(t, DEAL_TIME_MSC));
   w.KInt(EB_K_MAGIC, HistoryDealGetInteger(t, DEAL_MAGIC));
   w.KStr(EB_K_COMMENT, HistoryDealGetString(t, DEAL_COMMENT));
   w.KInt(EB_K_REASON, HistoryDealGetInteger(t, DEAL_REASON));
  }

// Deals from server time `from` on, the first `offset` skipped, as many as fit `maxBytes` (an array header
// included); `more` tells whether some were left out.
void EB_WriteDeals(MpWriter &w, const datetime from, const int offset, const int maxBytes, bool &more)
  {
   MpWriter items;
   int written = 0;
   more = false;
   if(HistorySelect(from, TimeCurrent() + 86400))
     {
      int n = HistoryDealsTotal();
      for(int i = (offset > 0 ? offset : 0); i < n; i++)
        {
         ulong t = HistoryDealGetTicket(i);
         if(t == 0)
            continue;
         int before = items.len;
         EB_WriteDeal(items, t);
         if(items.len + 5 > maxBytes)
           {
            items.len = before;
            more = true;
            break;
           }
         written++;
        }
     }
   w.ArrayHeader(written);
   w.Raw(items.buf, 0, items.len);
  }

void EB_WriteSpec(MpWriter &w, const string sym)
  {
   w.MapHeader(24);
   w.KStr(EB_K_SYMBOL, sym);
   w.KStr(EB_K_DESCRIPTION, SymbolInfoString(sym, SYMBOL_DESCRIPTION));
   w.KInt(EB_K_DIGITS, SymbolInfoInteger(sym, SYMBOL_DIGITS));
   w.KDouble(EB_K_POINT, SymbolInfoDouble(sym, SYMBOL_POINT));
   w.KDouble(EB_K_TICK_SIZE, SymbolInfoDouble(sym, SYMBOL_TRADE_TICK_SIZE));
   w.KDouble(EB_K_TICK_VALUE, SymbolInfoDouble(sym, SYMBOL_TRADE_TICK_VALUE));
   w.KDouble(EB_K_CONTRACT_SIZE, SymbolInfoDouble(sym, SYMBOL_TRADE_CONTRACT_SIZE));
   w.KDouble(EB_K_VOLUME_MIN, SymbolInfoDouble(sym, SYMBOL_VOLUME_MIN));
   w.KDouble(EB_K_VOLUME_MAX, SymbolInfoDouble(sym, SYMBOL_VOLUME_MAX));
   w.KDouble(EB_K_VOLUME_STEP, SymbolInfoDouble(sym, SYMBOL_VOLUME_STEP));
   w.KInt(EB_K_STOPS_LEVEL, SymbolInfoInteger(sym, SYMBOL_TRADE_STOPS_LEVEL));
   w.KInt(EB_K_FREEZE_LEVEL, SymbolInfoInteger(sym, SYMBOL_TRADE_FREEZE_LEVEL));
   w.KInt(EB_K_FILLING_MODE, SymbolInfoInteger(sym, SYMBOL_FILLING_MODE) & 7);
   w.KInt(EB_K_EXECUTION_MODE, SymbolInfoInteger(sym, SYMBOL_TRADE_EXEMODE));
   w.KInt(EB_K_TRADE_MODE, SymbolInfoInteger(sym, SYMBOL_TRADE_MODE));
   w.KInt(EB_K_CALC_MODE, SymbolInfoInteger(sym, SYMBOL_TRADE_CALC_MODE));
   w.KStr(EB_K_CURRENCY_BASE, SymbolInfoString(sym, SYMBOL_CURRENCY_BASE));
   w.KStr(EB_K_CURRENCY_PROFIT, SymbolInfoString(sym, SYMBOL_CURRENCY_PROFIT));
   w.KStr(EB_K_CURRENCY_MARGIN, SymbolInfoString(sym, SYMBOL_CURRENCY_MARGIN));
   w.KDouble(EB_K_SWAP_LONG, SymbolInfoDouble(sym, SYMBOL_SWAP_LONG));
   w.KDouble(EB_K_SWAP_SHORT, SymbolInfoDouble(sym, SYMBOL_SWAP_SHORT));
   w.KInt(EB_K_SWAP_MODE, EB_SwapModeCode(SymbolInfoInteger(sym, SYMBOL_SWAP_MODE)));
   w.KInt(EB_K_SWAP_ROLLOVER3_DAYS, SymbolInfoInteger(sym, SYMBOL_SWAP_ROLLOVER3DAYS));
   // trade sessions: [weekday, from minute, to minute)
   MpWriter items;
   int written = 0;
   for(int day = 0; day < 7; day++)
     {
      for(uint idx = 0; idx < 10; idx++)
        {
         datetime from = 0;
         datetime to = 0;
         if(!SymbolInfoSessionTrade(sym, (ENUM_DAY_OF_WEEK)day, idx, from, to))
            break;
         items.ArrayHeader(3);
         items.Int(day);
         items.Int((long)from / 60);
         items.Int((long)to / 60);
         written++;
        }
     }
   w.Str(EB_K_SESSIONS);
   w.ArrayHeader(written);
   w.Raw(items.buf, 0, items.len);
  }

void EB_WriteBar(MpWriter &w, const MqlRates &r)
  {
   w.ArrayHeader(EB_BAR_FIELDS);
   w.Int((long)r.time);
   w.Double(r.open);
   w.Double(r.high);
   w.Double(r.low);
   w.Double(r.close);
   w.Double((double)r.tick_volume);
   w.Int(r.spread);
   w.Double((double)r.real_volume);
  }

void EB_WriteTick(MpWriter &w, const MqlTick &t)
  {
   w.ArrayHeader(EB_TICK_FIELDS);
   w.Int(t.time_msc);
   w.Double(t.bid);
   w.Double(t.ask);
   w.Double(t.last);
   w.Double(t.volume_real);
   w.Int((long)t.flags);
  }

#endif
