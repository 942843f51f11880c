package io.wsbridge.bridge.route;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.filter.EventView;
import io.wsbridge.bridge.filter.Filter;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The filters' verdicts on one event, while the router delivers it: the event's attributes are read once, on the
 * first filter, and each distinct filter is evaluated once, whatever the number of subscriptions and groups that
 * share it. Created only for events of an application with a filtered subscription; it reads nothing until a filter
 * asks.
 */
final class FilterMatches {

    private final Event event;
    private EventView view;
    private boolean unreadable;
    private Map<Filter, Boolean> verdicts;

    FilterMatches(Event event) {
        this.event = event;
    }

    boolean matches(Filter filter) {
        if (verdicts == null) {
            verdicts = new IdentityHashMap<>(4);
        } else {
            Boolean known = verdicts.get(filter);
            if (known != null) {
                return known;
            }
        }
        boolean verdict = evaluate(filter);
        verdicts.put(filter, verdict);
        return verdict;
    }

    private boolean evaluate(Filter filter) {
        if (view == null && !unreadable) {
            try {
                view = EventView.of(event.payload());
            } catch (IllegalArgumentException e) {
                unreadable = true;
            }
        }
        return view != null ? filter.matches(view) : filter.failed();
    }
}
