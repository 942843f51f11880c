package io.wsbridge.bridge.route;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.filter.EventView;
import io.wsbridge.bridge.filter.Filter;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The filters' verdicts on one event, while the router delivers it: the event's attributes are read once, on the
 * first filter (those the connector attached, else from the frame), and each distinct filter is evaluated once,
 * whatever the number of subscriptions and groups that share it. Created only for events of an application with a
 * filtered subscription; it reads nothing until a filter asks.
 */
final class FilterMatches {

    private static final int SEARCHED = 16;

    private final Event event;
    private EventView view;
    private boolean unreadable;
    /** The first filters evaluated and their verdicts at the same index, searched in order; then {@link #more}. */
    private final Filter[] filters = new Filter[SEARCHED];
    private final boolean[] verdicts = new boolean[SEARCHED];
    private int evaluated;
    /** The verdicts on filters after the first {@value #SEARCHED}, where a search in order would cost too much. */
    private Map<Filter, Boolean> more;

    FilterMatches(Event event) {
        this.event = event;
    }

    boolean matches(Filter filter) {
        for (int i = 0; i < evaluated; i++) {
            if (filters[i] == filter) {
                return verdicts[i];
            }
        }
        Boolean known = more == null ? null : more.get(filter);
        if (known != null) {
            return known;
        }
        boolean verdict = evaluate(filter);
        if (evaluated < SEARCHED) {
            filters[evaluated] = filter;
            verdicts[evaluated++] = verdict;
        } else {
            if (more == null) {
                more = new IdentityHashMap<>();
            }
            more.put(filter, verdict);
        }
        return verdict;
    }

    private boolean evaluate(Filter filter) {
        if (view == null && !unreadable) {
            try {
                view = EventView.of(event);
            } catch (IllegalArgumentException e) {
                unreadable = true;
            }
        }
        return view != null ? filter.matches(view) : filter.failed();
    }
}
